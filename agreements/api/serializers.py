"""Shapes of /api/v1/resources/, /needs/, /claims/, /projects/, /agreements/, /commitments/ and
/alliances/{id}/points/. Input is checked for shape only; the rules and their messages live in
agreements/services/, so a form and the API answer alike."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.models import (
    Agreement,
    Claim,
    Clause,
    Commitment,
    CommitmentItem,
    Evaluation,
    Evidence,
    Milestone,
    Need,
    NeedSource,
    Party,
    Priority,
    Project,
    ProjectStatus,
    Recurrence,
    Resource,
    ResourceCategory,
)
from agreements.selectors import PUBLIC_STAGES, stage_bar

# --- output: the three lists ---------------------------------------------------------------


class ResourceSerializer(serializers.ModelSerializer):
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = Resource
        fields = ["id", "alliance", "alliance_name", "unit", "unit_name", "title", "category", "category_display",
                  "description", "quantity", "available", "available_until", "created_at", "updated_at"]
        read_only_fields = fields


class NeedSerializer(serializers.ModelSerializer):
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Need
        fields = ["id", "alliance", "alliance_name", "title", "description", "category", "category_display",
                  "source", "source_display", "priority", "priority_display", "status", "status_display",
                  "published_at", "closed_at", "closed_reason", "created_at", "updated_at"]
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    need_title = serializers.CharField(source="need.title", read_only=True)
    alliance = serializers.IntegerField(source="need.alliance_id", read_only=True,
                                        help_text="The alliance of the claimed need.")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    agreement = serializers.IntegerField(source="commitment.agreement_id", read_only=True, allow_null=True,
                                         default=None,
                                         help_text="Once confirmed: the agreement holding the commitment.")

    class Meta:
        model = Claim
        fields = ["id", "need", "need_title", "alliance", "unit", "unit_name", "note", "status", "status_display",
                  "claimed_by", "decided_at", "declined_reason", "commitment", "agreement", "created_at"]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    done = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "project", "title", "due_on", "done_on", "done"]
        read_only_fields = fields

    def get_done(self, milestone) -> bool:
        return milestone.done_on is not None


class ProjectSerializer(serializers.ModelSerializer):
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "alliance", "alliance_name", "title", "description", "lead_unit", "lead_unit_name",
                  "budget", "status", "status_display", "starts_on", "ends_on", "created_at", "updated_at"]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    """A project with the needs it answers, the resources it uses and its milestones."""

    needs = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    resources = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "needs", "resources", "milestones"]
        read_only_fields = fields


# --- output: agreements --------------------------------------------------------------------


class StageBarSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    state = serializers.ChoiceField(choices=[("done", "done"), ("current", "current"), ("todo", "todo")])


class AgreementSerializer(serializers.ModelSerializer):
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    stage_bar = serializers.SerializerMethodField(help_text="The five stages (五约), each done, current or todo.")
    public_url = serializers.SerializerMethodField(
        help_text="The public page (亮约) residents read, once published and while in force; else null.")

    class Meta:
        model = Agreement
        fields = ["id", "alliance", "alliance_name", "title", "version", "previous", "stage", "stage_display",
                  "stage_bar", "term_start", "term_end", "content_hash", "public_url", "signed_at", "published_at",
                  "performing_at", "evaluated_at", "terminated_at", "termination_reason", "cancelled_at",
                  "cancellation_reason", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(StageBarSerializer(many=True))
    def get_stage_bar(self, agreement):
        return StageBarSerializer(stage_bar(agreement), many=True).data

    def get_public_url(self, agreement) -> str | None:
        if agreement.stage not in PUBLIC_STAGES:
            return None
        path = reverse("public-agreement", kwargs={"token": agreement.public_token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class PartySerializer(serializers.ModelSerializer):
    signed = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["id", "unit", "name", "credit_code", "signed", "signed_by", "signer_name", "signed_at"]
        read_only_fields = fields

    def get_signed(self, party) -> bool:
        return party.signed_at is not None


class ClauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clause
        fields = ["id", "position", "text"]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer):
    agreement_title = serializers.CharField(source="agreement.title", read_only=True)
    alliance = serializers.IntegerField(source="agreement.alliance_id", read_only=True)
    stage = serializers.CharField(source="agreement.stage", read_only=True, help_text="The agreement's stage.")
    party_name = serializers.CharField(source="party.name", read_only=True)
    unit = serializers.IntegerField(source="party.unit_id", read_only=True, allow_null=True,
                                    help_text="The promising unit; null: the initiating organisation.")
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    recurrence_display = serializers.CharField(source="get_recurrence_display", read_only=True)

    class Meta:
        model = Commitment
        fields = ["id", "agreement", "agreement_title", "alliance", "stage", "party", "party_name", "unit", "title",
                  "description", "category", "category_display", "recurrence", "recurrence_display", "due_on",
                  "day_of_month", "position"]
        read_only_fields = fields


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Resolved or closed.")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Open and past the due date.")
    rejected = serializers.IntegerField()


class EvaluationSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True, default=None)

    class Meta:
        model = Evaluation
        fields = ["id", "period", "rater_kind", "party", "party_name", "score", "comment", "created_at"]
        read_only_fields = fields


class AgreementDetailSerializer(AgreementSerializer):
    """The agreement with its parties (and their signatures), clauses, commitments, evaluations,
    the progress of its occurrences and the moves its stage allows."""

    parties = serializers.SerializerMethodField(help_text="The initiating organisation first, then the units.")
    clauses = ClauseSerializer(many=True, read_only=True)
    commitments = CommitmentSerializer(many=True, read_only=True)
    evaluations = EvaluationSerializer(source="evaluation_rows", many=True, read_only=True,
                                       help_text="Ratings (评约) of the parties and of residents (names withheld).")
    progress = ProgressSerializer(read_only=True, help_text="The occurrences of its commitments (履约事项).")
    moves = serializers.ListField(child=serializers.CharField(), read_only=True,
                                  help_text="What the stage allows: edit, sign, publish, perform, report, "
                                            "rate, evaluate, terminate, amend (whoever asks may still lack "
                                            "the right).")
    amendment = serializers.IntegerField(source="amendment_pk", read_only=True, allow_null=True,
                                         help_text="The next version (修订稿), if one was started.")

    class Meta(AgreementSerializer.Meta):
        fields = [*AgreementSerializer.Meta.fields, "preamble", "amendment", "parties", "clauses", "commitments",
                  "evaluations", "progress", "moves"]
        read_only_fields = fields

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, agreement):
        # The order of the signed text (agreement_content): the initiating organisation, then the units.
        parties = sorted(agreement.parties.all(), key=lambda p: (p.unit_id is not None, p.pk))
        return PartySerializer(parties, many=True).data


class OccurrenceSerializer(serializers.ModelSerializer):
    """One due date of a commitment and the item in /items/ that carries it out."""

    item_reference = serializers.CharField(source="item.reference", read_only=True)
    item_status = serializers.CharField(source="item.status", read_only=True)
    item_due_at = serializers.DateTimeField(source="item.due_at", read_only=True)

    class Meta:
        model = CommitmentItem
        fields = ["id", "due_on", "item", "item_reference", "item_status", "item_due_at"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="GET the attached file here; null without one.")
    reported_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "commitment", "occurrence", "text", "file_name", "download_url", "reported_by",
                  "reported_by_name", "created_at"]
        read_only_fields = fields

    def get_download_url(self, evidence) -> str | None:
        if not evidence.file:
            return None
        return reverse("api:commitment-evidence-file",
                       kwargs={"pk": evidence.commitment_id, "evidence_id": evidence.pk})

    def get_reported_by_name(self, evidence) -> str:
        user = evidence.reported_by
        return (user.get_full_name() or user.get_username()) if user is not None else ""


class CommitmentDetailSerializer(CommitmentSerializer):
    occurrences = OccurrenceSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta(CommitmentSerializer.Meta):
        fields = [*CommitmentSerializer.Meta.fields, "occurrences", "evidence"]
        read_only_fields = fields


class RankingSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 for the highest total.")
    unit = serializers.IntegerField(source="pk")
    unit_name = serializers.CharField(source="name")
    total_points = serializers.IntegerField()
    entries = serializers.IntegerField(help_text="Ledger lines behind the total.")


# --- input ---------------------------------------------------------------------------------

def _date(help_text: str = ""):
    return serializers.DateField(required=False, allow_null=True, default=None, help_text=help_text)


def _ids(help_text: str):
    return serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=500,
                                 help_text=help_text)


class PartialSerializer(serializers.Serializer):
    """An update: only the fields sent are passed on (defaults are not applied)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ResourceUpdateSerializer(PartialSerializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    category = serializers.ChoiceField(choices=ResourceCategory.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    quantity = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                     help_text="Quantity or schedule, free text (e.g. 每月第二个周六上午).")
    available = serializers.BooleanField(required=False, default=True)
    available_until = _date()


class ResourceCreateSerializer(ResourceUpdateSerializer):
    alliance = serializers.IntegerField(help_text="The alliance the resource is offered to.")
    unit = serializers.IntegerField(help_text="The offering member unit (a liaison's own).")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", False)
        super().__init__(*args, **kwargs)


class NeedUpdateSerializer(PartialSerializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    category = serializers.ChoiceField(choices=ResourceCategory.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    source = serializers.ChoiceField(choices=NeedSource.choices, default=NeedSource.RESIDENTS,
                                     help_text="Who raised it: residents, the grid, a meeting.")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)


class NeedCreateSerializer(NeedUpdateSerializer):
    alliance = serializers.IntegerField(help_text="The alliance (usually a community) that needs it.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", False)
        super().__init__(*args, **kwargs)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NeedClaimSerializer(serializers.Serializer):
    unit = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The claiming unit (the liaison's own); may be left out by the "
                                              "liaison of a single unit.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ClaimConfirmSerializer(serializers.Serializer):
    due_on = _date("The date the unit promises it done by.")
    agreement = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="A draft agreement of the need's alliance to add the commitment to; empty: a new draft.")


class ProjectUpdateSerializer(PartialSerializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    lead_unit = serializers.IntegerField(help_text="The lead member unit (牵头单位).")
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, default=0,
                                      help_text="Yuan.")
    starts_on = _date()
    ends_on = _date()
    needs = _ids("Ids of needs of the project's alliance it answers.")
    resources = _ids("Ids of resources (of the alliance or an alliance above) it uses.")
    status = serializers.ChoiceField(choices=ProjectStatus.choices,
                                     help_text="planned → ongoing → done, or cancelled before done.")


class ProjectCreateSerializer(ProjectUpdateSerializer):
    alliance = serializers.IntegerField()
    status = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", False)
        super().__init__(*args, **kwargs)


class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    due_on = _date()


class MilestoneDoneSerializer(serializers.Serializer):
    done_on = _date("Default: today.")


class AgreementUpdateSerializer(PartialSerializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    preamble = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    term_start = _date("First day of the term (履约期).")
    term_end = _date("Last day of the term.")


class AgreementCreateSerializer(AgreementUpdateSerializer):
    alliance = serializers.IntegerField()
    units = _ids("Ids of the member units that are parties besides the initiating organisation.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", False)
        super().__init__(*args, **kwargs)


class PartyInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="A member unit of the alliance (or of an alliance above).")


class ClauseInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=5000)
    position = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="1-based; empty: at the end.")


class ClauseUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=5000)


class CommitmentUpdateSerializer(PartialSerializer):
    party = serializers.IntegerField(help_text="The promising party (an id from the agreement's parties).")
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    category = serializers.ChoiceField(choices=ResourceCategory.choices, default=ResourceCategory.OTHER)
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, default=Recurrence.ONCE)
    due_on = _date("For a one-off commitment: its date, within the term.")
    day_of_month = serializers.IntegerField(required=False, allow_null=True, default=None,
                                            help_text="For a recurring commitment: the day (1–28).")


class CommitmentInputSerializer(CommitmentUpdateSerializer):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", False)
        super().__init__(*args, **kwargs)


class SignSerializer(serializers.Serializer):
    party = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text="The party signed for; may be left out when the caller may sign "
                                               "for exactly one unsigned party.")


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000, help_text="Why the draft is cancelled (撤销理由).")


class AgreementRateSerializer(serializers.Serializer):
    party = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text="The rating party; may be left out when the caller speaks for "
                                               "exactly one party.")
    score = serializers.IntegerField(help_text="1 to 5.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    period = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      help_text="The year rated; default: this year.")


class EvidenceInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=5000, help_text="What was done (履约情况).")
    file = serializers.FileField(required=False, allow_null=True, default=None, use_url=False,
                                 help_text="PDF, image, Office document or zip, at most 20 MB (multipart).")
    occurrence = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          help_text="The due date (occurrence id) this evidence is for.")
