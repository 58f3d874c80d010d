"""Demo agreements (社区契约化共建) for seed_demo (Dadukou): the three lists and agreements at every
stage of the five (谈约 签约 亮约 履约 评约), in the demo community (锦霞社区, where the `shequ` and
`lianluo` accounts work) and one neighbouring community of the same street.

Built through the agreements and tasks services only, as the secretary and the units' liaisons
would build them: resources of several units in every category, needs in every state with
pending, confirmed, declined and withdrawn claims, two projects with milestones, and agreements
drafted, partly signed, signed, published, performing (occurrences done, in progress and overdue),
evaluated (party and resident ratings), terminated with a reason, amended (the first version
superseded) and a draft cancelled (已撤销) after one party had signed it. Points come from the
confirmed claims (once their agreement is signed), the ratings and the fulfilled occurrences.

Dates are relative to the day of seeding: terms, due dates and milestones lie in the past where
the story needs it, and the services that take `today` (perform, evaluate, the generation of
occurrences) are given the day the step would have happened. What the services stamp with the
present moment (signatures, publication, evidence, the items' resolution) stays dated today, so
occurrences fulfilled "in the past" earn the late-fulfilment points. Deterministic: the same plan
on every machine; units are chosen by category within each community.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from agreements.models import (
    Agreement,
    Commitment,
    CommitmentItem,
    Need,
    Party,
    PointEntry,
    Project,
    Resource,
)
from agreements.services import (
    agreement_amend,
    agreement_cancel,
    agreement_create,
    agreement_evaluate,
    agreement_perform,
    agreement_publish,
    agreement_sign,
    agreement_terminate,
    claim_confirm,
    claim_decline,
    claim_withdraw,
    clause_add,
    commitment_add,
    commitment_items_generate,
    commitment_update,
    evaluation_add,
    evaluation_add_resident,
    evidence_report,
    milestone_add,
    milestone_done,
    need_claim,
    need_close,
    need_create,
    need_publish,
    points_award_fulfilled,
    project_create,
    project_update,
    resource_create,
)
from alliance.models import Alliance, Level
from alliance.roles import Role
from members.models import Category, MemberUnit, RoleAssignment, User
from members.services import role_assign
from tasks.models import Status
from tasks.services import item_confirm, item_rate, item_resolve, item_start

# The kinds of unit a story needs: (category, name keywords) that fit it, best first; None matches any.
KINDS = {
    "property": ((Category.PROPERTY_MANAGEMENT, None),),
    "owners": ((Category.OWNERS_COMMITTEE, None),),
    "school": ((Category.SCHOOL, None), (None, "学校|小学|中学")),
    "social": ((Category.SOCIAL_ORGANISATION, None),),
    "medical": ((Category.HOSPITAL, None), (None, "医院|卫生|疾病|健康|医疗")),
    "agency": ((Category.AGENCY, "司法|法院|检察|公安"), (Category.AGENCY, None)),
    "enterprise": ((Category.STATE_ENTERPRISE, None), (Category.PRIVATE_ENTERPRISE, "公司")),
    "shop": ((Category.PRIVATE_ENTERPRISE, "店|超市|餐|商行"), (Category.PRIVATE_ENTERPRISE, None)),
}

CLAUSES = (
    "双方本着“资源共享、优势互补、共驻共建、互惠共赢”的原则,以“一纸契约”明确各方责任,共同参与社区治理。",
    "社区党组织负责牵线搭桥、组织亮约和评约,督促各方履行契约;成员单位按承诺事项落实,并及时报告履约情况。",
    "承诺事项的完成情况在社区党群服务中心和“共建有约”平台公开,接受居民监督,由群众来评。",
    "履约情况纳入成员单位共建积分,年度评约结果作为评选共建先进单位的依据。",
)

RESIDENTS = (("王阿姨", "13983000101"), ("李师傅", "13983000102"), ("张大爷", "13983000103"),
             ("刘女士", "13983000104"), ("陈先生", "13983000105"))


class Demo:
    """The demo community's actors and units, and the steps the stories share."""

    def __init__(self, *, root: Alliance, admin: User, hashed: str):
        self.admin, self.hashed = admin, hashed
        self.today = timezone.localdate()
        self.secretary = User.objects.get(username="shequ")
        self.lianluo = User.objects.get(username="lianluo")
        self.community = RoleAssignment.objects.get(user=self.secretary, role=Role.SECRETARY).alliance
        assignment = RoleAssignment.objects.select_related("member_unit").get(user=self.lianluo, role=Role.LIAISON)
        self.lianluo_unit = assignment.member_unit
        street = Alliance.objects.get(tenant_id=root.tenant_id, path=self.community.path[: -Alliance.steplen])
        self.neighbour = (Alliance.objects.filter(tenant_id=root.tenant_id, level=Level.COMMUNITY,
                                                  path__startswith=street.path)
                          .exclude(pk=self.community.pk).order_by("path").first())
        self.neighbour_secretary = self._account("shequ2", f"{self.neighbour.name.removesuffix('党建共同体')}书记",
                                                 self.neighbour, Role.SECRETARY)
        self.signers: dict[int, User] = {self.lianluo_unit.pk: self.lianluo}
        self.accounts: list[str] = ["shequ2"]
        self.used: set[int] = set()

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def _account(self, username: str, name: str, alliance: Alliance, role: str,
                 unit: MemberUnit | None = None) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, name=name, email=f"{username}@example.cn", password=self.hashed)
            user.save()
        role_assign(user=self.admin, target=user, alliance=alliance, role=role, member_unit=unit)
        return User.objects.get(pk=user.pk)

    def unit(self, alliance: Alliance, kind: str) -> MemberUnit:
        """A unit of the community that fits `kind`, one not yet given a part where possible."""
        units = list(MemberUnit.objects.filter(alliance=alliance).order_by("pk"))
        for category, keywords in KINDS[kind]:
            for unit in units:
                if (unit.pk not in self.used and category in (None, unit.category)
                        and (keywords is None or re.search(keywords, unit.name))):
                    self.used.add(unit.pk)
                    return unit
        spare = [u for u in units if u.pk not in self.used] or units
        self.used.add(spare[0].pk)
        return spare[0]

    def liaison(self, unit: MemberUnit) -> User:
        """The unit's liaison, who signs, reports and rates for it (a demo account with the demo password)."""
        if unit.pk not in self.signers:
            username = f"lianluo{len(self.signers) + 1}"
            self.signers[unit.pk] = self._account(username, f"{unit.name}联络员", unit.alliance, Role.LIAISON, unit)
            self.accounts.append(username)
        return User.objects.get(pk=self.signers[unit.pk].pk)

    def secretary_of(self, alliance: Alliance) -> User:
        user = self.secretary if alliance.pk == self.community.pk else self.neighbour_secretary
        return User.objects.get(pk=user.pk)  # a fresh scope for each step

    # --- agreements ---------------------------------------------------------------------

    def draft(self, alliance: Alliance, *, title: str, units: list[MemberUnit], start: int, end: int,
              preamble: str, clauses=CLAUSES[:3], commitments=()) -> Agreement:
        """谈约: `commitments` are (unit or None, title, category, recurrence, due offset or day of month,
        description)."""
        secretary = self.secretary_of(alliance)
        agreement = agreement_create(user=secretary, alliance=alliance, title=title, term_start=self.day(start),
                                     term_end=self.day(end), units=units, preamble=preamble)
        for text in clauses:
            clause_add(user=secretary, agreement=agreement, text=text)
        for unit, what, category, recurrence, when, description in commitments:
            party = agreement.parties.get(unit=unit) if unit is not None else agreement.parties.get(unit__isnull=True)
            once = recurrence == "once"
            commitment_add(user=secretary, agreement=agreement, party=party, title=what, description=description,
                           category=category, recurrence=recurrence, due_on=self.day(when) if once else None,
                           day_of_month=None if once else when)
        return agreement

    def sign(self, agreement: Agreement, *, only_units: bool = False) -> Agreement:
        """签约: the units' liaisons first, then the secretary for the initiating organisation."""
        for party in agreement.parties.order_by("unit_id", "pk"):
            if party.unit_id is None:
                if only_units:
                    continue
                signer = self.secretary_of(agreement.alliance)
            else:
                signer = self.liaison(party.unit)
            agreement_sign(user=signer, agreement=agreement, party=party)
        return Agreement.objects.get(pk=agreement.pk)

    def perform(self, agreement: Agreement) -> Agreement:
        """亮约 and 履约 from the first day of the term; the daily generation of occurrences run as beat
        would have run it, month by month, up to today."""
        secretary = self.secretary_of(agreement.alliance)
        agreement_publish(user=secretary, agreement=agreement)
        agreement_perform(user=secretary, agreement=agreement, today=agreement.term_start)
        self.generate(agreement, until=min(self.today, agreement.term_end))
        return Agreement.objects.get(pk=agreement.pk)

    def generate(self, agreement: Agreement, *, until: dt.date) -> None:
        day = agreement.term_start
        while day <= until:
            commitment_items_generate(agreement=agreement, today=day)
            day += dt.timedelta(days=30)
        commitment_items_generate(agreement=agreement, today=until)

    def fulfil(self, occurrence: CommitmentItem, *, note: str, confirm: bool = True) -> None:
        """The item flow of one occurrence: started by the secretary, resolved by the promising unit
        (or the secretary for the initiating organisation), confirmed and rated by the community."""
        alliance = occurrence.commitment.agreement.alliance
        unit = occurrence.commitment.party.unit
        item = item_start(user=self.secretary_of(alliance), item=occurrence.item)
        worker = self.liaison(unit) if unit is not None else self.secretary_of(alliance)
        item = item_resolve(user=worker, item=item, note=note)
        if confirm:
            item_confirm(user=self.secretary_of(alliance), item=item, solved=True)
            item_rate(user=self.secretary_of(alliance), item=item, score=5 if occurrence.pk % 3 else 4,
                      comment="按契约落实到位,居民满意。")

    def report(self, commitment: Commitment, text: str, occurrence: CommitmentItem | None = None) -> None:
        unit = commitment.party.unit
        user = self.liaison(unit) if unit is not None else self.secretary_of(commitment.agreement.alliance)
        evidence_report(user=user, commitment=commitment, text=text, occurrence=occurrence)

    def occurrences(self, agreement: Agreement):
        return (CommitmentItem.objects.filter(commitment__agreement_id=agreement.pk)
                .select_related("item", "commitment", "commitment__party", "commitment__party__unit",
                                "commitment__agreement__alliance")
                .order_by("due_on", "pk"))


# --- the three lists -----------------------------------------------------------------------

def _lists(demo: Demo, u: dict[str, MemberUnit], draft: Agreement) -> None:
    community, secretary = demo.community, demo.secretary_of(demo.community)
    offered = {}
    for key, unit, title, category, quantity, description, until in (
        ("hall", u["property"], "小区架空层党群活动室", "venue", "120平方米,每周二、四下午开放",
         "可开展党员活动、老年人兴趣班和居民议事。", None),
        ("playground", u["school"], "学校操场和风雨操场", "venue", "周末及寒暑假白天向居民开放",
         "“共建有约”场地共享,进校需登记。", None),
        ("funds", u["shop"], "社区公益基金捐助", "funds", "每年2万元", "用于困难群众帮扶和社区公益活动。", None),
        ("funds2", u["enterprise"], "“红色物业”提升专项资金", "funds", "一次性5万元", "用于小区公共设施微改造。",
         demo.day(200)),
        ("clinic", u["medical"], "社区义诊和健康讲座", "medical", "每季度一次", "血压血糖测量、慢病咨询、健康知识讲座。",
         None),
        ("vaccine", u["medical2"], "家庭医生签约咨询", "medical", "每月第一个周三上午", "", None),
        ("volunteers", u["social"], "专业社工志愿服务队", "volunteers", "12名持证社工", "独居老人探访、助餐、心理疏导。",
         None),
        ("party", u["property"], "物业党员志愿服务队", "volunteers", "8名党员,每月一次", "楼道清理、便民维修。", None),
        ("class", u["school"], "家庭教育公益课堂", "training", "每学期4次", "面向社区家长的家庭教育讲座。", None),
        ("training", u["agency"], "机关党员“双岗服务”政策宣讲", "training", "每月一次", "在职党员到社区报到服务。",
         None),
        ("legal", u["agency"], "机关党员政策法规咨询", "legal", "每月15日上午", "在职党员报到服务:政策法规解答、邻里纠纷调解。",
         None),
        ("shop", u["shop"], "“爱心驿站”歇脚点", "other", "门店营业时间", "为环卫工人、快递小哥提供饮水、歇脚。", None),
        ("printer", u["enterprise"], "宣传资料免费印制", "other", "每年500份", "", demo.day(-10)),
    ):
        user = demo.liaison(unit) if unit.pk == demo.lianluo_unit.pk else secretary
        offered[key] = resource_create(user=user, alliance=community, unit=unit, title=title, category=category,
                                       quantity=quantity, description=description, available=until is None
                                       or until >= demo.today, available_until=until)

    def need(title, category, *, source="residents", priority="normal", description="", publish=True):
        made = need_create(user=secretary, alliance=community, title=title, category=category, source=source,
                           priority=priority, description=description)
        return need_publish(user=secretary, need=made) if publish else made

    need("楼道声控灯更换", "other", source="grid", description="3栋、5栋楼道声控灯损坏,网格员排查上报。",
         publish=False)
    need("社区公益集市场地", "venue", source="meeting", publish=False)
    lunch = need("老年食堂助餐志愿者", "volunteers", priority="high", description="中午11点至13点,每天需要4名志愿者。")
    need("加装电梯政策咨询", "legal", source="meeting", description="锦霞新城6个单元有意愿加装电梯。")
    need("困难家庭学生课业辅导", "training")
    visits = need("独居老人定期探访", "volunteers", priority="high", source="grid",
                  description="辖区独居老人23人,需每周上门探访一次。")
    # Claimed, waiting for the secretary's confirmation.
    need_claim(user=demo.liaison(u["social"]), need=visits, unit=u["social"], note="社工服务中心可安排2名社工每周探访。")
    signs = need("小区消防通道标识更新", "other", source="grid", description="锦霞新城消防通道标识褪色,车辆占道。")
    claim_signs = need_claim(user=demo.liaison(u["property"]), need=signs, unit=u["property"],
                             note="物业负责重新施划标线、更换标识牌。")
    claim_confirm(user=secretary, claim=claim_signs, due_on=demo.day(30), agreement=draft)
    clinic = need("慢病老人健康管理", "medical", priority="high")
    claim_clinic = need_claim(user=demo.liaison(u["medical"]), need=clinic, unit=u["medical"])
    clinic_commitment = claim_confirm(user=secretary, claim=claim_clinic, due_on=demo.day(45))
    # The new draft the claim went into is signed: the claim earns the unit its points.
    demo.sign(clinic_commitment.agreement)
    summer = need("小区儿童暑期托管", "training", description="双职工家庭暑期看护难。")
    declined = need_claim(user=demo.liaison(u["school"]), need=summer, unit=u["school"], note="可提供教室两间。")
    claim_decline(user=secretary, claim=declined, reason="托管需具备相应资质,已改由街道统筹,感谢支持。")
    fair = need("社区公益集市物资", "funds")
    withdrawn = need_claim(user=demo.liaison(u["shop"]), need=fair, unit=u["shop"])
    claim_withdraw(user=demo.liaison(u["shop"]), claim=withdrawn)
    dance = need("广场舞噪音协调", "other", source="residents")
    need_close(user=secretary, need=dance, reason="已召开居民议事会协商,确定活动时段和音量,问题已解决。")

    meals = project_create(
        user=secretary, alliance=community, title="锦霞社区老年助餐共建项目", lead_unit=u["social"],
        description="整合物业活动室、社工志愿服务队和企业公益资金,为辖区老年人提供助餐服务。", budget=50000,
        starts_on=demo.day(-90), ends_on=demo.day(180), needs=[lunch],
        resources=[offered["hall"], offered["volunteers"], offered["funds"]],
    )
    for title, due, done in (("助餐点选址和改造", -75, -70), ("志愿者招募和培训", -45, -40),
                             ("助餐点试运营", 15, None), ("运营满半年评估", 180, None)):
        milestone = milestone_add(user=secretary, project=meals, title=title, due_on=demo.day(due))
        if done is not None:
            milestone_done(user=secretary, milestone=milestone, done_on=demo.day(done))
    project_update(user=secretary, project=meals, status="ongoing")
    red = project_create(
        user=secretary, alliance=community, title="锦霞新城“红色物业”提升项目", lead_unit=u["property"],
        description="居委会、业委会、物业服务企业三方联动,改善小区公共设施和物业服务。", budget=80000,
        starts_on=demo.day(20), ends_on=demo.day(300), needs=[signs], resources=[offered["funds2"]],
    )
    for title, due in (("三方议事会确定改造清单", 20), ("公共收益公示栏建成", 60), ("居民满意度测评", 290)):
        milestone_add(user=secretary, project=red, title=title, due_on=demo.day(due))


# --- the agreements ------------------------------------------------------------------------

def _agreements(demo: Demo, u: dict[str, MemberUnit]) -> Agreement:
    """Every stage in the demo community; returns the draft that a confirmed claim joins."""
    c = demo.community
    year = demo.today.year

    # 谈约: a draft with its parties, nobody has signed.
    draft = demo.draft(c, title=f"{year}年度锦霞社区“共建有约”教育关爱契约(草案)", units=[u["school"], u["social"]],
                       start=30, end=395, preamble="围绕“一老一小”,学校、社会组织与社区党组织结对共建。",
                       commitments=[
                           (u["school"], "周末开放学校操场", "venue", "monthly", 1, "每月首个周末向居民开放。"),
                           (u["school"], "家庭教育公益课堂", "training", "quarterly", 10, ""),
                           (u["social"], "困难家庭学生课业辅导", "volunteers", "monthly", 20, "每月两次。"),
                           (None, "提供党群服务中心活动场地", "venue", "once", 60, ""),
                       ])

    # 签约, partly: the units have signed (the content is frozen), the secretary has not yet.
    partly = demo.draft(c, title="锦霞新城小区“红色物业”共建契约", units=[u["property"], u["owners"]],
                        start=15, end=380, preamble="推动居委会、业委会、物业服务企业三方联动,建设“红色物业”。",
                        commitments=[
                            (u["property"], "每季度公示小区公共收益", "other", "quarterly", 5, ""),
                            (u["property"], "物业党员每月开展一次便民服务", "volunteers", "monthly", 18, ""),
                            (u["owners"], "每季度召开三方议事会", "other", "quarterly", 12, ""),
                        ])
    demo.sign(partly, only_units=True)

    # 签约, complete: signed by every party.
    signed = demo.draft(c, title="锦霞社区健康服务进小区共建契约", units=[u["medical"], u["medical2"]], start=10,
                        end=375, preamble="医疗卫生资源下沉社区,为居民提供家门口的健康服务。",
                        commitments=[
                            (u["medical"], "每季度社区义诊", "medical", "quarterly", 8, "血压血糖测量、慢病咨询。"),
                            (u["medical2"], "家庭医生签约咨询", "medical", "monthly", 3, ""),
                            (None, "组织居民参加义诊", "volunteers", "quarterly", 8, ""),
                        ])
    demo.sign(signed)

    # 亮约: published on its public page (QR code), not yet performing.
    published = demo.draft(c, title="机关党员“双岗服务”进社区共建契约", units=[u["agency"]], start=5, end=370,
                           preamble="机关在职党员到社区报到,结合岗位特长提供服务。",
                           commitments=[
                               (u["agency"], "每月15日在职党员报到,开展政策法规咨询", "legal", "monthly", 15, ""),
                               (u["agency"], "每季度政策宣讲", "training", "quarterly", 20, ""),
                               (None, "公示在职党员服务岗位", "other", "once", 30, ""),
                           ])
    demo.sign(published)
    agreement_publish(user=demo.secretary_of(c), agreement=published)

    # 履约: performing since five months ago; done, in progress and overdue occurrences.
    performing = demo.draft(c, title="锦霞社区党建“契约化”共建协议", units=[u["property"]], start=-150, end=215,
                            preamble="社区“大党委”与物业服务企业签订共建契约,共同推进小区治理。",
                            clauses=CLAUSES, commitments=[
                                (u["property"], "每月清理楼道和公共区域杂物", "volunteers", "monthly", 15,
                                 "组织员工和党员志愿者清理楼道堆放物,消除消防隐患。"),
                                (u["property"], "每季度消防设施安全检查", "other", "quarterly", 10, ""),
                                (u["property"], "更换老旧单元门禁", "other", "once", -20, "锦霞新城3栋、5栋。"),
                                (u["property"], "小区充电桩安装", "other", "once", 25, ""),
                                (None, "提供党群服务中心活动场地", "venue", "monthly", 25, "物业党员活动每月一次。"),
                            ])
    demo.sign(performing)
    performing = demo.perform(performing)
    past = [o for o in demo.occurrences(performing) if o.due_on < demo.today]
    for occurrence in past[:-3]:
        demo.fulfil(occurrence, note="已按契约完成,照片已上传。")
        demo.report(occurrence.commitment, f"{occurrence.due_on:%m月%d日}{occurrence.commitment.title}已完成。",
                    occurrence)
    upcoming = [o for o in demo.occurrences(performing)
                if o.due_on >= demo.today and o.commitment.party.unit_id is not None]
    if upcoming:  # one done ahead of time (points on time), one started
        demo.fulfil(upcoming[0], note="提前完成,已拍照留存。")
    if len(upcoming) > 1:
        item_start(user=demo.secretary_of(c), item=upcoming[1].item)
    # The rest of the past occurrences stay open: overdue, as the item inbox and the progress show.

    # 评约: last year's agreement, performed, rated by the parties and residents, evaluated.
    evaluated = demo.draft(c, title="锦霞社区义诊和志愿服务共建契约", units=[u["social"], u["enterprise"]],
                           start=-400, end=-35, preamble="社会组织和驻区企业结对社区,开展志愿服务和公益帮扶。",
                           commitments=[
                               (u["social"], "每月独居老人探访", "volunteers", "monthly", 12, ""),
                               (u["enterprise"], "每季度捐助公益资金", "funds", "quarterly", 20, ""),
                               (None, "组织评约大会", "other", "once", -40, ""),
                           ])
    demo.sign(evaluated)
    evaluated = demo.perform(evaluated)
    for index, occurrence in enumerate(demo.occurrences(evaluated)):
        if occurrence.item.status in (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS) and index % 7 != 6:
            demo.fulfil(occurrence, note="已完成。")
    period = evaluated.term_end.year
    for party, score, comment in (
        (None, 5, "双方履约积极,探访覆盖全部独居老人。"),
        (u["social"], 5, "社区组织有力,居民参与度高。"),
        (u["enterprise"], 4, "公益资金使用公开透明,建议增加活动频次。"),
    ):
        row = evaluated.parties.get(unit=party) if party is not None else evaluated.parties.get(unit__isnull=True)
        signer = demo.liaison(party) if party is not None else demo.secretary_of(c)
        evaluation_add(user=signer, agreement=evaluated, party=row, score=score, comment=comment, period=period)
    for (name, phone), score in zip(RESIDENTS, (5, 5, 4, 5, 3), strict=True):
        evaluation_add_resident(agreement=evaluated, name=name, phone=phone, score=score, period=period,
                                comment="志愿者很热心。" if score >= 4 else "希望探访再勤一些。")
    agreement_evaluate(user=demo.secretary_of(c), agreement=evaluated, today=demo.today)

    # 已终止: performing, then ended early with a reason; its open occurrences are rejected.
    ended = demo.draft(c, title="社区公益集市共建契约", units=[u["shop"]], start=-120, end=245,
                       preamble="驻区商户支持社区公益集市。", clauses=CLAUSES[:2], commitments=[
                           (u["shop"], "每月赞助公益集市物资", "funds", "monthly", 28, ""),
                           (u["shop"], "开设“爱心驿站”", "other", "once", -90, ""),
                       ])
    demo.sign(ended)
    ended = demo.perform(ended)
    for occurrence in list(demo.occurrences(ended))[:2]:
        demo.fulfil(occurrence, note="已完成。")
    agreement_terminate(user=demo.secretary_of(c), agreement=ended,
                        reason="商户经营调整迁出辖区,经双方协商一致提前终止契约。")

    # 已撤销: a draft one unit had signed, given up before the others signed it.
    dropped = demo.draft(c, title="锦霞新城小区停车秩序共建契约(草案)", units=[u["enterprise"]], start=20, end=385,
                         preamble="驻区企业开放内部停车位,缓解小区夜间停车难。", clauses=CLAUSES[:2], commitments=[
                             (u["enterprise"], "夜间开放内部停车位30个", "venue", "monthly", 1, "每晚19时至次日7时。"),
                         ])
    demo.sign(dropped, only_units=True)
    agreement_cancel(user=demo.secretary_of(c), agreement=dropped,
                     reason="企业停车场改建,暂不具备开放条件,经协商撤销本草案,改建完成后另行商议。")

    # 已修订: the first version performed for half a year, then amended; the signed amendment
    # supersedes it and takes over its open occurrences.
    first = demo.draft(c, title="兴恒嘉园小区环境整治共建契约", units=[u["owners2"], u["property"]], start=-180,
                       end=185, preamble="业委会、物业与社区共同整治小区环境。", commitments=[
                           (u["property"], "每月清运小区建筑垃圾", "other", "monthly", 8, ""),
                           (u["owners2"], "每月组织业主议事", "other", "monthly", 22, ""),
                       ])
    demo.sign(first)
    first = demo.perform(first)
    for occurrence in [o for o in demo.occurrences(first) if o.due_on < demo.today][:-1]:
        demo.fulfil(occurrence, note="已完成。")
    amendment = agreement_amend(user=demo.secretary_of(c), agreement=first)
    clause_add(user=demo.secretary_of(c), agreement=amendment,
               text="补充条款:根据居民议事会意见,增加小区绿化补植,由物业服务企业负责。")
    commitment_add(user=demo.secretary_of(c), agreement=amendment, party=amendment.parties.get(unit=u["property"]),
                   title="每季度补植绿化", category="other", recurrence="quarterly", day_of_month=16)
    owners_meeting = amendment.commitments.get(party__unit=u["owners2"])
    commitment_update(user=demo.secretary_of(c), commitment=owners_meeting, title="每月组织业主议事(含绿化管护)")
    amendment = demo.sign(amendment)
    agreement_publish(user=demo.secretary_of(c), agreement=amendment)
    agreement_perform(user=demo.secretary_of(c), agreement=amendment, today=demo.today)
    return draft


def _neighbour(demo: Demo) -> None:
    """The neighbouring community: a few resources and needs and one performing agreement."""
    n = demo.neighbour
    secretary = demo.secretary_of(n)
    a, b = demo.unit(n, "property"), demo.unit(n, "school")
    resource_create(user=secretary, alliance=n, unit=a, title="物业党员志愿服务队", category="volunteers",
                    quantity="每月一次")
    resource_create(user=secretary, alliance=n, unit=b, title="单位会议室和活动室", category="venue",
                    quantity="周六全天开放")
    made = need_create(user=secretary, alliance=n, title="小区停车秩序整治", category="other", source="grid")
    need_publish(user=secretary, need=made)
    agreement = demo.draft(n, title=f"{n.name.removesuffix('党建共同体')}“共建有约”契约", units=[a, b], start=-100,
                           end=265, preamble="社区党组织与驻区单位结对共建。", commitments=[
                               (a, "每月楼道清理", "volunteers", "monthly", 10, ""),
                               (b, "每季度公益讲座", "training", "quarterly", 25, ""),
                           ])
    demo.sign(agreement)
    agreement = demo.perform(agreement)
    for occurrence in [o for o in demo.occurrences(agreement) if o.due_on < demo.today][:2]:
        demo.fulfil(occurrence, note="已完成。")
    ahead = [o for o in demo.occurrences(agreement) if o.due_on >= demo.today]
    if ahead:
        demo.fulfil(ahead[0], note="提前完成。")


def seed_agreements(*, root: Alliance, admin: User, hashed: str) -> dict:
    """Seed the Dadukou demo's agreements and lists after its accounts exist; returns the counts
    and the extra accounts made (signers for the units and the neighbouring community)."""
    demo = Demo(root=root, admin=admin, hashed=hashed)
    c = demo.community
    demo.used.add(demo.lianluo_unit.pk)
    u = {"property": demo.lianluo_unit}
    for kind in ("owners", "school", "social", "medical", "medical2", "agency", "shop", "enterprise", "owners2"):
        u[kind] = demo.unit(c, kind.rstrip("2"))
    draft = _agreements(demo, u)
    _lists(demo, u, draft)
    _neighbour(demo)
    points_award_fulfilled()
    tenant = {"tenant_id": root.tenant_id}
    return {
        "agreements": Agreement.objects.filter(**tenant).count(),
        "commitments": Commitment.objects.filter(**tenant).count(),
        "occurrences": CommitmentItem.objects.filter(**tenant).count(),
        "resources": Resource.objects.filter(**tenant).count(),
        "needs": Need.objects.filter(**tenant).count(),
        "projects": Project.objects.filter(**tenant).count(),
        "points": PointEntry.objects.filter(**tenant).count(),
        "parties": Party.objects.filter(**tenant).count(),
        "accounts": "、".join(demo.accounts),
    }
