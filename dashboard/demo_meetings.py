"""Demo meetings for seed_demo (Dadukou): three alliances' past and upcoming meetings.

Built through the meetings services, as the secretaries and the liaison would build them: past
meetings with attendance, proposals, one-unit-one-vote tallies, adopted and rejected resolutions
whose action items are items in `tasks/` (some done, some overdue), one resolution published to
everyone and one to party members; upcoming meetings with invitations and approved proposals;
and the demo liaison's own proposals in every state. Deterministic: the same plan on every machine,
dated relative to the day it is seeded.

The services stamp what happens with the present moment (opened, decided, resolved) and accept a
meeting that starts in the past, so each past meeting is built when its turn comes and then dated
back to its day; the next meeting's report-back agenda (通报) is pre-filled from those dates.
Invitations are marked as notified: the e-mails of a demo need not go out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from alliance.models import Alliance
from meetings.models import (
    ActionItem,
    Attendance,
    Invitation,
    Meeting,
    MeetingKind,
    Proposal,
    PublishScope,
    Resolution,
    Vote,
)
from meetings.services import (
    Action,
    meeting_close,
    meeting_open,
    meeting_record_attendance,
    meeting_schedule,
    proposal_decide,
    proposal_merge,
    proposal_review,
    proposal_schedule,
    proposal_submit,
    resolution_assign_actions,
    resolution_publish,
    vote_cast,
)
from members.models import Membership, MemberUnit, User
from members.selectors import liaison_unit_ids
from tasks.models import Category, Item, ItemEvent, ItemSource
from tasks.services import item_create, item_resolve, item_start

DONE, OVERDUE, OPEN = "done", "overdue", "open"
INVITED_UNITS = 9
MAX_ABSENT = 2  # the most units any past meeting below has stay away


@dataclass(frozen=True)
class Task:
    """An action item of a resolution and what has become of it by the day of seeding."""

    title: str
    fate: str = OPEN
    result: str = ""
    category: str = Category.OTHER


@dataclass(frozen=True)
class Decision:
    title: str
    text: str
    body: str = ""
    against: int = 0  # of the units present, how many vote against and abstain; the rest for
    abstain: int = 0
    major: bool = False
    tasks: tuple[Task, ...] = ()
    publish: str | None = None
    by_liaison: bool = False  # raised by the demo liaison's unit
    from_item: str = ""  # raised from a resident's demand with this title


@dataclass(frozen=True)
class PastMeeting:
    days_ago: int
    title: str
    decisions: tuple[Decision, ...]
    kind: str = MeetingKind.REGULAR
    absent: int = 1


@dataclass(frozen=True)
class Upcoming:
    days_ahead: int
    title: str
    proposals: tuple[str, ...]
    kind: str = MeetingKind.REGULAR


@dataclass(frozen=True)
class Plan:
    alliance: str  # the alliance's name
    secretary: str  # the demo account that runs its meetings
    place: str
    past: tuple[PastMeeting, ...]
    upcoming: tuple[Upcoming, ...] = ()
    waiting: tuple[str, ...] = ()  # approved, not yet on an agenda
    # The demo liaison's own: (title, "" to await review | a reason to return it | "merge:<waiting title>").
    liaison_proposals: tuple[tuple[str, str], ...] = ()


JINXIA = Plan(
    alliance="锦霞社区党建共同体", secretary="shequ", place="锦霞社区党群服务中心二楼会议室",
    past=(
        PastMeeting(days_ago=70, title="锦霞社区党建共同体第二季度例会", decisions=(
            Decision(
                title="老旧小区加装电梯协调", major=True, against=1, from_item="锦霞街3号楼住户反映老人上下楼困难",
                body="锦霞街3号楼、5号楼为重钢老旧住宅,七层无电梯,六十岁以上住户占四成,多次反映上下楼困难。",
                text="同意在锦霞街3号楼、5号楼试点加装电梯:物业公司牵头征求住户意见,社区协调规划审批,"
                     "重钢退休党员参与矛盾调处。",
                tasks=(Task("征求3号楼、5号楼住户加装意见", DONE, "两栋楼住户同意率分别为92%和88%,意见已汇总报社区。",
                            Category.LIVELIHOOD),
                       Task("协调加装电梯规划审批手续", OVERDUE, category=Category.FACILITIES)),
                publish=PublishScope.EVERYONE),
            Decision(
                title="背街小巷环境整治", abstain=1,
                text="对锦霞街背街小巷开展为期两个月的环境整治,共建单位按片区认领,每月通报进度。",
                tasks=(Task("清理背街小巷堆放杂物", DONE, "清运杂物42车,设置宣传牌6块。", Category.ENVIRONMENT),
                       Task("修复破损路面和排水沟", DONE, "修复路面180平方米、排水沟60米。", Category.FACILITIES),
                       Task("增设垃圾分类投放点", OVERDUE, category=Category.ENVIRONMENT))),
            Decision(
                title="提高小区临时停车收费标准", against=5,
                text="将小区临时停车收费由每小时2元提高到每小时3元。"),
        )),
        PastMeeting(days_ago=35, title="共建单位场地开放专题会议", kind=MeetingKind.SPECIAL, absent=2, decisions=(
            Decision(
                title="共建单位场地错时开放", by_liaison=True,
                text="辖区学校运动场、机关食堂和会议室在节假日和工作日下班后向居民错时开放,由社区统一预约登记。",
                tasks=(Task("制定场地开放预约登记办法", DONE, "预约登记办法已印发,居民可在社区公众号预约。"),
                       Task("开放运动场地并公示开放时间", OPEN))),
            Decision(
                title="在职党员报到服务岗位设置", against=1,
                text="每月15日在职党员报到日,设置政策宣传、矛盾调处、助老服务三类服务岗位,实行积分管理。",
                tasks=(Task("公布报到服务岗位清单", DONE, "已在党群服务中心和各楼栋公示岗位清单。"),)),
        )),
        PastMeeting(days_ago=9, title="锦霞社区党建共同体第三季度例会", decisions=(
            Decision(
                title="独居老人定期探访", text="建立独居老人探访台账,组织党员志愿者每周上门探访一次。",
                tasks=(Task("建立独居老人探访台账", OPEN, category=Category.ELDERLY),
                       Task("组织党员志愿者每周探访", OPEN, category=Category.ELDERLY))),
        )),
    ),
    upcoming=(Upcoming(days_ahead=6, title="锦霞社区党建共同体第四季度例会",
                       proposals=("楼道电动车充电隐患整治", "社区食堂助餐服务")),),
    waiting=("雨后积水点改造", "楼道安全隐患综合整治"),
    liaison_proposals=(("增设小区快递柜", ""), ("物业费公示方式调整", "属物业服务合同事项,请先提交业委会讨论。"),
                       ("楼道堆放杂物集中清理", "merge:楼道安全隐患综合整治")),
)

CUIYUAN = Plan(
    alliance="翠园社区党建共同体", secretary="jiedao", place="翠园社区居委会会议室",
    past=(
        PastMeeting(days_ago=50, title="翠园社区党建共同体例会", decisions=(
            Decision(
                title="小区绿化带认养", abstain=1,
                text="共建单位认养小区绿化带,每家认养一段,负责日常修剪和补种。",
                tasks=(Task("划分绿化带认养片区", DONE, "划分8个片区,已由8家共建单位认养。", Category.ENVIRONMENT),
                       Task("补种缺损绿化苗木", OVERDUE, category=Category.ENVIRONMENT))),
            Decision(title="更换小区全部健身器材", against=4, text="由共建单位出资更换小区全部健身器材。"),
        )),
        PastMeeting(days_ago=20, title="加装电梯资金筹集协调会", kind=MeetingKind.SPECIAL, decisions=(
            Decision(
                title="加装电梯资金筹集", major=True,
                text="加装电梯资金按政府补贴、住户分摊、共建单位支持三部分筹集,由社区公示分摊方案。",
                tasks=(Task("公示住户分摊方案", DONE, "分摊方案已在单元楼道公示七天,无异议。", Category.LIVELIHOOD),
                       Task("对接共建单位支持资金", OPEN, category=Category.LIVELIHOOD))),
        )),
    ),
    upcoming=(Upcoming(days_ahead=13, title="翠园社区党建共同体例会", proposals=("消防通道占用整治",)),),
)

PROPERTY = Plan(
    alliance="物业行业党建共同体", secretary="zuzhibu", place="大渡口区物业行业综合党委会议室",
    past=(
        PastMeeting(days_ago=40, title="物业行业党建共同体季度例会", decisions=(
            Decision(
                title="无党员物业企业选派党建指导员", against=1,
                text="对没有党员的物业服务企业选派党建指导员,每季度至少联系指导一次。",
                tasks=(Task("摸排无党员物业企业名单", DONE, "摸排出无党员物业企业11家,名单已报区物业行业综合党委。"),
                       Task("选派党建指导员并建立联系台账", OVERDUE)),
                publish=PublishScope.PARTY_MEMBERS),
            Decision(
                title="物业服务质量季度评议", abstain=1,
                text="每季度由社区、业委会和居民代表对物业服务质量评议一次,结果作为评先评优依据。",
                tasks=(Task("制定物业服务质量评议办法", DONE, "评议办法已印发各社区。", Category.PROPERTY),)),
        )),
    ),
    upcoming=(Upcoming(days_ahead=20, title="物业行业党建共同体季度例会", proposals=("业委会换届选举指导",)),),
)

PLANS = (JINXIA, CUIYUAN, PROPERTY)


def _day(now: dt.datetime, days: int) -> dt.datetime:
    """14:30 local time `days` from now, moved back to a weekday."""
    moment = timezone.localtime(now) + dt.timedelta(days=days)
    while moment.weekday() >= 5:
        moment -= dt.timedelta(days=1)
    return moment.replace(hour=14, minute=30, second=0, microsecond=0)


class _Builder:
    def __init__(self, *, root: Alliance, plan: Plan, now: dt.datetime):
        self.plan = plan
        self.now = now
        self.alliance = Alliance.objects.get(tenant_id=root.tenant_id, name=plan.alliance)
        self.secretary = User.objects.get(username=plan.secretary)
        self.liaison = User.objects.get(username="lianluo")
        own = liaison_unit_ids(self.liaison)
        units = list(
            MemberUnit.objects.filter(pk__in=Membership.objects.filter(
                alliance=self.alliance, left_on__isnull=True).values("unit_id")).order_by("name", "pk")
        )
        # The demo liaison's unit first when it is a member, so it sits in every meeting here.
        units.sort(key=lambda u: (u.pk not in own, u.name))
        # The quorum counts all member units, invited or not: a large alliance (the industry one)
        # invites enough of them that those present (all but at most MAX_ABSENT) are more than half.
        self.units = units[:max(INVITED_UNITS, len(units) // 2 + 1 + MAX_ABSENT)]
        self.liaison_unit = next((u for u in self.units if u.pk in own), None)
        self.proposals: dict[str, Proposal] = {}
        self.counts = {"meetings": 0, "proposals": 0, "resolutions": 0, "actions": 0}

    # --- proposals -------------------------------------------------------------------------

    def propose(self, title: str, *, body: str = "", major: bool = False, by_liaison: bool = False,
                from_item: str = "", when: dt.datetime | None = None) -> Proposal:
        source = None
        if from_item:
            source, _created = item_create(user=self.secretary, alliance=self.alliance, title=from_item,
                                           source=ItemSource.DEMAND, category=Category.LIVELIHOOD,
                                           requester_name="王阿姨", requester_phone="13883000000")
            item_start(user=self.secretary, item=source, note="已提交社区党建共同体会议集体议定。")
        if by_liaison and self.liaison_unit is not None:
            proposal = proposal_submit(user=self.liaison, alliance=self.alliance, unit=self.liaison_unit,
                                       title=title, body=body)
            proposal = proposal_review(user=self.secretary, proposal=proposal, approve=True, major=major)
        else:
            proposal = proposal_submit(user=self.secretary, alliance=self.alliance, title=title, body=body,
                                       major=major, source_item=source)
            proposal = proposal_review(user=self.secretary, proposal=proposal, approve=True)
        if when is not None:
            Proposal.objects.filter(pk=proposal.pk).update(
                created_at=when - dt.timedelta(days=20), reviewed_at=when - dt.timedelta(days=14))
            if source is not None:
                Item.objects.filter(pk=source.pk).update(created_at=when - dt.timedelta(days=25))
                ItemEvent.objects.filter(item_id=source.pk).update(created_at=when - dt.timedelta(days=25))
        self.proposals[title] = proposal
        self.counts["proposals"] += 1
        return proposal

    # --- a past meeting, from planning to close --------------------------------------------

    def past(self, spec: PastMeeting) -> Meeting:
        starts = _day(self.now, -spec.days_ago)
        meeting = meeting_schedule(
            user=self.secretary, alliance=self.alliance, title=spec.title, kind=spec.kind, starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2), place=self.plan.place, units=self.units)
        proposals = [self.propose(d.title, body=d.body, major=d.major, by_liaison=d.by_liaison,
                                  from_item=d.from_item, when=starts) for d in spec.decisions]
        proposals = [proposal_schedule(user=self.secretary, proposal=p, meeting=meeting) for p in proposals]
        meeting_open(user=self.secretary, meeting=meeting)
        # The last units on the list stay away; the demo liaison's unit is always there.
        present = self.units[:len(self.units) - spec.absent]
        for unit in self.units:
            meeting_record_attendance(user=self.secretary, meeting=meeting, unit=unit, present=unit in present)
        for decision, proposal in zip(spec.decisions, proposals, strict=True):
            choices = ["against"] * decision.against + ["abstain"] * decision.abstain
            choices += ["for"] * (len(present) - len(choices))
            if 2 * decision.against <= len(present):
                choices.reverse()  # the liaison's unit, first on the list, votes with the majority
            for unit, choice in zip(present, choices, strict=True):
                voter = self.liaison if unit == self.liaison_unit else self.secretary
                vote_cast(user=voter, proposal=proposal, unit=unit if voter == self.secretary else None,
                          choice=choice)
            resolution = proposal_decide(user=self.secretary, proposal=proposal, text=decision.text)
            self.counts["resolutions"] += 1
            if resolution.adopted and decision.tasks:
                self.assign(resolution, decision.tasks, present, starts)
            if resolution.adopted and decision.publish:
                resolution_publish(user=self.secretary, resolution=resolution, scope=decision.publish)
            if decision.from_item and resolution.adopted:
                item_resolve(user=self.secretary, item=proposal.source_item,
                             note=f"经{spec.title}集体议定:{decision.text}")
                resolved = starts + dt.timedelta(hours=3)
                Item.objects.filter(pk=proposal.source_item_id).update(resolved_at=resolved)
                ItemEvent.objects.filter(item_id=proposal.source_item_id, kind="resolved").update(
                    created_at=resolved)
        meeting_close(user=self.secretary, meeting=meeting)
        self.date_back(meeting, starts)
        self.counts["meetings"] += 1
        return meeting

    def assign(self, resolution: Resolution, tasks: tuple[Task, ...], present: list[MemberUnit],
               starts: dt.datetime) -> None:
        actions = resolution_assign_actions(user=self.secretary, resolution=resolution, actions=[
            Action(unit=present[i % len(present)], title=task.title, category=task.category,
                   due=timezone.localdate() + dt.timedelta(days=14))  # dated below like the rest
            for i, task in enumerate(tasks)])
        self.counts["actions"] += len(actions)
        for n, (action, task) in enumerate(zip(actions, tasks, strict=True), start=1):
            created = starts + dt.timedelta(days=1)
            due = starts + dt.timedelta(days=14 + 7 * n)
            if task.fate == OPEN:
                due = max(due, self.now + dt.timedelta(days=10 + 5 * n))
            if task.fate == DONE:
                item_resolve(user=self.secretary, item=action.item, note=task.result)
            resolved = starts + dt.timedelta(days=5 + 3 * n) if task.fate == DONE else None
            Item.objects.filter(pk=action.item_id).update(created_at=created, due_at=due, resolved_at=resolved)
            ItemEvent.objects.filter(item_id=action.item_id).update(created_at=created)
            if resolved is not None:
                ItemEvent.objects.filter(item_id=action.item_id, kind="resolved").update(created_at=resolved)
            ActionItem.objects.filter(pk=action.pk).update(created_at=created)

    def date_back(self, meeting: Meeting, starts: dt.datetime) -> None:
        """Move what the services stamped with the present moment to the meeting's day."""
        decided = starts + dt.timedelta(hours=1)
        invited = starts - dt.timedelta(days=10)
        Meeting.objects.filter(pk=meeting.pk).update(
            created_at=invited, opened_at=starts, closed_at=starts + dt.timedelta(hours=2), updated_at=decided)
        Invitation.objects.filter(meeting=meeting).update(
            created_at=invited, notified_at=invited, reminded_at=starts - dt.timedelta(days=1))
        Attendance.objects.filter(meeting=meeting).update(recorded_at=starts)
        Proposal.objects.filter(meeting=meeting).update(decided_at=decided, updated_at=decided)
        Vote.objects.filter(proposal__meeting=meeting).update(created_at=decided, updated_at=decided)
        Resolution.objects.filter(meeting=meeting).update(decided_at=decided)
        Resolution.objects.filter(meeting=meeting, published=True).update(
            published_at=starts + dt.timedelta(days=3))

    # --- what is still to come -------------------------------------------------------------

    def upcoming(self, spec: Upcoming) -> Meeting:
        starts = _day(self.now, spec.days_ahead)
        meeting = meeting_schedule(
            user=self.secretary, alliance=self.alliance, title=spec.title, kind=spec.kind, starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2), place=self.plan.place, units=self.units)
        for title in spec.proposals:
            proposal_schedule(user=self.secretary, proposal=self.propose(title), meeting=meeting)
        Invitation.objects.filter(meeting=meeting).update(notified_at=self.now)
        self.counts["meetings"] += 1
        return meeting

    def liaison_own(self) -> None:
        """The demo liaison's proposals awaiting review, returned with a reason, merged."""
        if self.liaison_unit is None:
            return
        for title, outcome in self.plan.liaison_proposals:
            proposal = proposal_submit(user=self.liaison, alliance=self.alliance, unit=self.liaison_unit,
                                       title=title)
            if outcome.startswith("merge:"):
                proposal_merge(user=self.secretary, proposal=proposal, into=self.proposals[outcome[6:]])
            elif outcome:
                proposal_review(user=self.secretary, proposal=proposal, approve=False, reason=outcome)
            self.counts["proposals"] += 1


def seed_meetings(*, root: Alliance, now: dt.datetime | None = None) -> dict[str, int]:
    """The meetings of three Dadukou alliances; needs the demo accounts (shequ, jiedao, zuzhibu,
    lianluo). Returns how many meetings, proposals, resolutions and action items it made."""
    now = now or timezone.now()
    totals = {"meetings": 0, "proposals": 0, "resolutions": 0, "actions": 0}
    for plan in PLANS:
        builder = _Builder(root=root, plan=plan, now=now)
        for spec in plan.past:
            builder.past(spec)
        for title in plan.waiting:
            builder.propose(title)
        for spec in plan.upcoming:
            builder.upcoming(spec)
        builder.liaison_own()
        for key, value in builder.counts.items():
            totals[key] += value
    return totals
