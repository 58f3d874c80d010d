"""Demo data: the Dadukou district (default), or a Wuhan-sized city with ``--city wuhan``.

The district is built through the services, as its users would build it. The city is far
too large for that: it is written with bulk inserts whose tree paths are computed here
(treebeard's materialized path: parent path + a 4-character base-36 step). Both are
deterministic, so every machine gets the same names, codes and figures.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import unicodedata
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import ProtectedError, RestrictedError
from tqdm import tqdm

from alliance.models import Alliance, Kind, Level, Tenant, TenantOwned
from alliance.roles import Role
from alliance.services import alliance_create, tenant_create
from dashboard.demo_agreements import seed_agreements
from dashboard.demo_items import seed_items
from dashboard.demo_meetings import seed_meetings
from members.models import Category, Membership, MembershipRole, MemberUnit, PartyOrgForm, User
from members.services import member_unit_create, membership_create, role_assign
from members.validators import CHARSET, credit_code_check_char
from party.demo import seed_party

SEED = 2026
DEMO_PASSWORD = "demo2026"

# --------------------------------------------------------------------------------------
# Dadukou, Chongqing: the "1+8+63" regional alliances of the source article.
# --------------------------------------------------------------------------------------

DADUKOU_CODE = "500104"
DADUKOU_NAME = "大渡口区党建共同体"
DADUKOU_UNITS = 530

# (street or town, code suffix, community name stems)
DADUKOU_STREETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("新山村街道", "001", ("新山村", "钢城", "柏树堡", "义渡", "锦绣", "百花", "新工", "松青", "长征")),
    ("跃进村街道", "002", ("跃进村", "大堰", "钢花", "双园", "民乐", "新村", "龙湾", "星光")),
    ("九宫庙街道", "003", ("九宫庙", "馨园", "钢园", "松林", "小园", "文体", "前进", "桂花")),
    ("茄子溪街道", "004", ("茄子溪", "滨江", "雷家坝", "李子林", "中心湾", "临江")),
    ("春晖路街道", "005", ("锦霞", "翠园", "春晖", "晋愉", "钰鑫", "锦城", "花园", "阳光")),
    ("八桥镇", "100", ("八桥", "公民", "大渡口", "钓鱼嘴", "双山", "金桥", "玉峰", "新桥", "融城")),
    ("建胜镇", "101", ("建胜", "民主", "四胜", "百佳", "曙光", "重钢", "和美", "丰收")),
    ("跳磴镇", "102", ("跳磴", "金鳌", "石盘", "蔡家", "幸福", "燎原", "新华")),
)

DADUKOU_AGENCIES = (
    "大渡口区发展改革委", "大渡口区教委", "大渡口区科技局", "大渡口区经济信息委", "大渡口区民政局",
    "大渡口区司法局", "大渡口区财政局", "大渡口区人力社保局", "大渡口区规划自然资源局",
    "大渡口区生态环境局", "大渡口区住房城乡建委", "大渡口区城市管理局", "大渡口区交通局",
    "大渡口区水利局", "大渡口区农业农村委", "大渡口区商务委", "大渡口区文化旅游委",
    "大渡口区卫生健康委", "大渡口区退役军人事务局", "大渡口区应急管理局", "大渡口区审计局",
    "大渡口区市场监管局", "大渡口区统计局", "大渡口区医保局", "大渡口区信访办",
    "大渡口区政务服务办", "大渡口区总工会", "共青团大渡口区委", "大渡口区妇联", "大渡口区残联",
    "大渡口区科协", "大渡口区工商联", "国家税务总局重庆市大渡口区税务局", "重庆市公安局大渡口区分局",
    "重庆市大渡口区人民法院", "重庆市大渡口区人民检察院",
)
DADUKOU_INSTITUTIONS = (
    "大渡口区图书馆", "大渡口区文化馆", "大渡口区融媒体中心", "大渡口区疾病预防控制中心",
    "大渡口区公共资源交易中心", "大渡口区不动产登记中心", "大渡口区社会保险事务中心",
    "大渡口区就业和人才服务中心", "大渡口区住房保障中心", "大渡口区市政设施管理所", "大渡口区档案馆",
    "大渡口区青少年活动中心", "大渡口区老年大学", "大渡口区社会福利院", "大渡口区体育中心",
    "大渡口区农业技术推广站", "大渡口区生态环境监测站", "大渡口区城市建设档案馆",
    "大渡口区园林绿化管护中心", "大渡口区公证处",
)
DADUKOU_STATE_ENTERPRISES = (
    "重庆钢铁股份有限公司", "重庆钢铁（集团）有限责任公司", "重庆钢铁集团运输有限责任公司",
    "重钢集团电子有限责任公司", "重庆钢铁集团朵力房地产股份有限公司",
    "重庆市大渡口区国有资产经营管理有限公司", "重庆大渡口建设投资集团有限公司",
    "重庆建桥工业园区开发建设有限公司", "国网重庆市电力公司大渡口供电分公司",
    "重庆燃气集团股份有限公司大渡口分公司", "重庆水务集团大渡口自来水有限公司",
    "中国移动通信集团重庆有限公司大渡口分公司", "中国电信股份有限公司重庆大渡口分公司",
    "中国联合网络通信有限公司重庆市大渡口区分公司", "中国邮政集团有限公司重庆市大渡口区分公司",
    "重庆农村商业银行股份有限公司大渡口支行", "中国工商银行股份有限公司重庆大渡口支行",
    "中国建设银行股份有限公司重庆大渡口支行", "中国农业银行股份有限公司重庆大渡口支行",
    "中国银行股份有限公司重庆大渡口支行", "重庆公共交通控股（集团）有限公司大渡口分公司",
    "重庆义渡文化旅游发展有限公司",
)
DADUKOU_HOSPITALS = (
    "大渡口区人民医院", "大渡口区中医院", "重钢总医院", "大渡口区妇幼保健院", "大渡口区精神卫生中心",
)
DADUKOU_SCHOOLS = (
    "重庆市第三十七中学校", "重庆市大渡口区第九十五初级中学校", "重庆市茄子溪中学",
    "重庆市大渡口区实验小学", "重庆市大渡口区钢城实验学校", "重庆市大渡口区育才小学",
)
DADUKOU_ROADS = (
    "春晖路", "翠柏路", "松青路", "钢花路", "文体路", "锦霞街", "新山村路", "跃进村路", "九宫庙街",
    "茄子溪路", "八桥路", "建胜路", "跳磴路", "双山路", "金桥路", "滨江路", "建桥大道", "柏树堡路",
)
# Agencies that send volunteers to the SME alliance (source article: 招募党员志愿者).
DADUKOU_SME_AGENCIES = (
    "大渡口区市场监管局", "国家税务总局重庆市大渡口区税务局", "大渡口区人力社保局",
    "大渡口区经济信息委", "大渡口区商务委", "大渡口区工商联",
)
# Extra units beyond the curated lists and one property company and owners' committee a community.
DADUKOU_EXTRA = {
    Category.PROPERTY_MANAGEMENT: 20,
    Category.OWNERS_COMMITTEE: 30,
    Category.SCHOOL: 24,
    Category.SOCIAL_ORGANISATION: 50,
}

# --------------------------------------------------------------------------------------
# Wuhan: 13 districts, 156 streets, 1,433 communities, 50,000 member units.
# --------------------------------------------------------------------------------------

WUHAN_CODE = "420100"
WUHAN_COMMUNITIES = 1433
WUHAN_UNITS = 50_000
WUHAN_DISTRICTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("江岸区", "420102", (
        "大智街道", "一元街道", "车站街道", "四唯街道", "永清街道", "西马街道", "球场街道", "劳动街道",
        "二七街道", "新村街道", "丹水池街道", "台北街道", "花桥街道", "谌家矶街道", "后湖街道",
        "百步亭花园路街道")),
    ("江汉区", "420103", (
        "民族街道", "花楼街道", "水塔街道", "民权街道", "满春街道", "民意街道", "新华街道", "万松街道",
        "唐家墩街道", "北湖街道", "前进街道", "常青街道", "汉兴街道")),
    ("硚口区", "420104", (
        "古田街道", "韩家墩街道", "宗关街道", "汉水桥街道", "宝丰街道", "荣华街道", "汉中街道",
        "汉正街道", "六角亭街道", "长丰街道", "易家街道")),
    ("汉阳区", "420105", (
        "建桥街道", "鹦鹉街道", "洲头街道", "五里墩街道", "琴断口街道", "江汉二桥街道", "永丰街道",
        "四新街道", "江堤街道", "晴川街道", "龙阳街道")),
    ("武昌区", "420106", (
        "积玉桥街道", "杨园街道", "徐家棚街道", "粮道街道", "中华路街道", "黄鹤楼街道", "紫阳街道",
        "白沙洲街道", "首义路街道", "中南路街道", "水果湖街道", "珞珈山街道", "石洞街道", "南湖街道")),
    ("青山区", "420107", (
        "红卫路街道", "冶金街道", "新沟桥街道", "红钢城街道", "工人村街道", "青山镇街道", "厂前街道",
        "武东街道", "白玉山街道", "钢花村街道", "八吉府街道")),
    ("洪山区", "420111", (
        "珞南街道", "关山街道", "狮子山街道", "张家湾街道", "梨园街道", "卓刀泉街道", "洪山街道",
        "和平街道", "青菱街道", "九峰街道", "花山街道")),
    ("东西湖区", "420112", (
        "吴家山街道", "将军路街道", "慈惠街道", "走马岭街道", "径河街道", "长青街道", "辛安渡街道",
        "东山街道", "新沟镇街道", "柏泉街道", "金银湖街道")),
    ("汉南区", "420113", ("纱帽街道", "邓南街道", "东荆街道", "湘口街道")),
    ("蔡甸区", "420114", (
        "蔡甸街道", "奓山街道", "永安街道", "侏儒山街道", "大集街道", "张湾街道", "索河街道",
        "玉贤街道", "桐湖街道", "消泗乡", "军山街道")),
    ("江夏区", "420115", (
        "纸坊街道", "金口街道", "乌龙泉街道", "郑店街道", "五里界街道", "法泗街道", "山坡街道",
        "安山街道", "湖泗街道", "舒安街道", "流芳街道", "庙山街道", "藏龙岛街道", "金港街道")),
    ("黄陂区", "420116", (
        "前川街道", "祁家湾街道", "横店街道", "罗汉寺街道", "滠口街道", "六指街道", "天河街道",
        "王家河街道", "长轩岭街道", "李家集街道", "姚家集街道", "蔡榨街道", "武湖街道", "三里桥街道",
        "蔡店街道", "木兰乡")),
    ("新洲区", "420117", (
        "邾城街道", "阳逻街道", "仓埠街道", "汪集街道", "李集街道", "三店街道", "潘塘街道", "旧街街道",
        "双柳街道", "涨渡湖街道", "辛冲街道", "徐古街道", "凤凰镇")),
)
WUHAN_ROADS = (
    "解放大道", "中山大道", "建设大道", "发展大道", "京汉大道", "武珞路", "中南路", "珞喻路",
    "和平大道", "友谊大道", "青年路", "汉阳大道", "鹦鹉大道", "民族路", "江汉路", "沿江大道",
    "中北路", "雄楚大道", "二七路", "后湖大道", "常青路", "古田路", "墨水湖北路", "南湖大道",
    "关山大道", "金银湖路", "纸坊大街", "前川大道", "邾城大道", "蔡甸大街",
)

# --------------------------------------------------------------------------------------
# Names, codes and people.
# --------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅飞鹏辉斌波宇浩凯健俊帆旭宁婷雪琳晨欣怡佳建国志文"
# Characters of trade names (字号): two distinct ones make a name such as 锦泰, 嘉悦.
TRADE_CHARS = (
    "华瑞恒嘉盛安康宏泰鑫美欣和祥德丰源兴佳福顺诚信宜悦雅馨乐金锦天宇新东方汇通达远博润聚合众升隆昌荣"
    "昊晟睿智创卓越弘毅捷鹏楚云海光明腾飞凯旭阳辉正"
)
COMMUNITY_FIRST = "永新华和建幸民安康东西南长青紫金碧翠锦丰兴明光红江汉宝泰景秀春晴花桂梅兰竹松柏荣德惠合顺友育龙凤鹤云百万太中月星晨"
COMMUNITY_SECOND = "园苑湾桥里坊城林湖洲庭居村台岭塘港景华丰兴和福康乐墩岗坪"

PRIVATE_TRADES = (
    "科技", "商贸", "餐饮管理", "建筑劳务", "机械制造", "物流", "大药房连锁", "超市", "汽车服务",
    "装饰工程", "电子商务", "文化传媒", "家政服务", "教育咨询", "环保科技", "钢结构工程", "食品",
    "广告", "信息技术", "健康管理", "五金机电", "园林绿化", "人力资源服务", "酒店管理", "印务",
)
SHOPS = ("餐馆", "便利店", "理发店", "五金店", "火锅店", "面馆", "水果店", "洗衣店", "药房", "茶楼")
SOCIAL_KINDS = (
    "社会工作服务中心", "志愿者协会", "养老服务中心", "公益发展中心", "老年协会", "文体协会",
    "邻里互助会", "青少年服务中心", "残疾人协会", "慈善分会",
)
ESTATE_SUFFIXES = ("花园", "家园", "雅苑", "新村", "丽景", "嘉园", "名苑", "佳园", "华庭", "公寓", "新城", "小区")
SCHOOL_KINDS = ("小学", "幼儿园", "中学", "实验学校")
CITY_DEPARTMENTS = (
    "发展改革局", "教育局", "科技局", "民政局", "司法局", "财政局", "人力资源局", "自然资源和规划分局",
    "住房和城市更新局", "城市管理执法局", "水务局", "农业农村局", "商务局", "文化和旅游局",
    "卫生健康局", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "信访局", "政务服务和大数据管理局", "总工会", "妇联", "残联", "科协", "工商联",
)
STREET_AGENCY_UNITS = ("综合执法中队", "便民服务中心", "退役军人服务站", "社会治安综合治理中心", "城市管理中队")
CITY_INSTITUTIONS = (
    "图书馆", "文化馆", "融媒体中心", "疾病预防控制中心", "公共资源交易中心", "不动产登记中心",
    "社会保险事务中心", "就业服务中心", "住房保障中心", "市政设施管理所", "档案馆", "青少年活动中心",
    "老年大学", "社会福利院", "体育中心", "园林绿化管理所", "公证处", "城市建设档案馆", "水务服务中心",
    "农业技术推广中心",
)
STREET_INSTITUTIONS = (
    "文化站", "社会保障服务中心", "养老服务中心", "市政维护站", "党群服务中心", "网格管理中心",
    "公共服务中心", "综合文化服务中心",
)
BANKS = ("中国工商银行股份有限公司", "中国建设银行股份有限公司", "中国农业银行股份有限公司",
         "中国银行股份有限公司", "中国邮政储蓄银行股份有限公司", "交通银行股份有限公司")
CLINICS = ("医院", "中医门诊部", "口腔门诊部", "康复医院", "护理院", "综合门诊部")

# GB 32100-2015: registration authority and organisation category, the first two characters.
CREDIT_PREFIX = {
    Category.AGENCY: "11",
    Category.PUBLIC_INSTITUTION: "12",
    Category.STATE_ENTERPRISE: "91",
    Category.PRIVATE_ENTERPRISE: "91",
    Category.SOCIAL_ORGANISATION: "52",
    Category.PROPERTY_MANAGEMENT: "91",
    Category.OWNERS_COMMITTEE: "Y1",
    Category.SCHOOL: "12",
    Category.HOSPITAL: "12",
    Category.OTHER: "Y1",
}
# GB 11714-1997: the organisation code (characters 9-17 of the credit code) has its own check.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Party members of a unit (range), and how likely a unit with three or more has its own
# party organisation; the rest are covered by a joint branch elsewhere.
PARTY_MEMBERS = {
    Category.AGENCY: (12, 120),
    Category.PUBLIC_INSTITUTION: (5, 60),
    Category.STATE_ENTERPRISE: (20, 400),
    Category.PRIVATE_ENTERPRISE: (0, 20),
    Category.SOCIAL_ORGANISATION: (0, 8),
    Category.PROPERTY_MANAGEMENT: (1, 15),
    Category.OWNERS_COMMITTEE: (0, 6),
    Category.SCHOOL: (8, 90),
    Category.HOSPITAL: (10, 260),
    Category.OTHER: (0, 5),
}
OWN_ORG_LIKELIHOOD = {
    Category.PRIVATE_ENTERPRISE: 0.55,
    Category.SOCIAL_ORGANISATION: 0.4,
    Category.OWNERS_COMMITTEE: 0.35,
    Category.PROPERTY_MANAGEMENT: 0.7,
}
# The rotating chair of a community goes to a unit of one of these first.
CHAIR_FIRST = (
    Category.STATE_ENTERPRISE, Category.AGENCY, Category.PUBLIC_INSTITUTION, Category.HOSPITAL,
    Category.SCHOOL,
)
# Share of each category among the units of the city.
CITY_CATEGORY_WEIGHTS = {
    Category.PRIVATE_ENTERPRISE: 58,
    Category.PROPERTY_MANAGEMENT: 9,
    Category.OWNERS_COMMITTEE: 10,
    Category.SOCIAL_ORGANISATION: 9,
    Category.SCHOOL: 5,
    Category.HOSPITAL: 3,
    Category.STATE_ENTERPRISE: 2.5,
    Category.AGENCY: 2,
    Category.PUBLIC_INSTITUTION: 1.5,
}

JOINED_FROM = dt.date(2019, 7, 1)
JOINED_DAYS = (dt.date(2024, 12, 31) - JOINED_FROM).days


def _stem(name: str) -> str:
    """锦霞社区 → 锦霞, 春晖路街道 → 春晖路, 八桥镇 → 八桥."""
    for suffix in ("社区", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _street_organisation(street: str) -> str:
    # A street has a party working committee (党工委); a town or township, a party committee.
    body = "党工委" if street.endswith("街道") else "党委"
    return f"{street}{body}“大工委”"


def _street_office(district: str, street: str) -> str:
    return f"{district}{street}办事处" if street.endswith("街道") else f"{district}{street}人民政府"


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice(CHARSET) for _ in range(8))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


@dataclass(frozen=True)
class Place:
    """Where a unit sits: enough to give it a plausible name, address, phone and credit code."""

    city: str  # 武汉 (the short form used in company names)
    city_full: str  # 武汉市 (重庆市 for a district of Chongqing)
    district: str  # 江岸区
    region: str  # the six region digits of the credit code
    street: str
    community: str
    area_code: str
    roads: tuple[str, ...]


class UnitFactory:
    """Deterministic, unique names and credit codes, and the other fields of a member unit."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.codes: set[str] = set()

    # -- people and dates ------------------------------------------------------------

    def person(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))

    def phone(self, area_code: str) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))
        first = "6" if area_code == "023" else "8"
        return f"{area_code}-{first}{''.join(rng.choice('0123456789') for _ in range(7))}"

    def joined_on(self) -> dt.date:
        return JOINED_FROM + dt.timedelta(days=self.rng.randrange(JOINED_DAYS))

    def trade_name(self) -> str:
        first, second = self.rng.sample(TRADE_CHARS, 2)
        return first + second

    def credit_code(self, category: str, region: str) -> str:
        while True:
            body = CREDIT_PREFIX[category] + region + _org_code(self.rng)
            code = body + credit_code_check_char(body)
            if code not in self.codes:
                self.codes.add(code)
                return code

    # -- names -------------------------------------------------------------------------

    def unique(self, make) -> str:
        """A name not given before: retry the template, then number the last try as a branch."""
        name = make()
        for _ in range(60):
            if name not in self.names:
                break
            name = make()
        else:
            base, n = name, 2
            while f"{base}（{n}）" in self.names:
                n += 1
            name = f"{base}（{n}）"
        self.names.add(name)
        return name

    def claim(self, name: str) -> str:
        """A curated name, reserved so that generated names never repeat it."""
        if name in self.names:
            raise ValueError(f"duplicate curated unit name: {name}")
        self.names.add(name)
        return name

    def name(self, category: str, place: Place) -> str:
        rng = self.rng
        community_stem = _stem(place.community)
        street_stem = _stem(place.street)
        templates = {
            Category.PRIVATE_ENTERPRISE: lambda: (
                f"{place.district}{self.trade_name()}{rng.choice(SHOPS)}" if rng.random() < 0.15
                else f"{place.city}{self.trade_name()}{rng.choice(PRIVATE_TRADES)}有限公司"
            ),
            Category.PROPERTY_MANAGEMENT: lambda: (
                f"{place.city}{self.trade_name()}{rng.choice(('物业服务', '物业管理'))}有限公司"
            ),
            Category.OWNERS_COMMITTEE: lambda: (
                f"{rng.choice((community_stem, self.trade_name()))}{rng.choice(ESTATE_SUFFIXES)}小区业主委员会"
            ),
            Category.SOCIAL_ORGANISATION: lambda: (
                f"{place.district}{place.community}{rng.choice(SOCIAL_KINDS)}"
            ),
            Category.SCHOOL: lambda: (
                f"{place.city_full}{place.district}{rng.choice((community_stem, street_stem))}"
                f"{rng.choice(SCHOOL_KINDS)}"
            ),
            Category.HOSPITAL: lambda: (
                f"{place.district}{place.street}社区卫生服务中心" if rng.random() < 0.2
                else f"{place.city}{self.trade_name()}{rng.choice(CLINICS)}"
            ),
            Category.STATE_ENTERPRISE: lambda: rng.choice((
                lambda: f"{rng.choice(BANKS)}{place.city}{self.trade_name()}支行",
                lambda: f"国网{place.city}供电公司{place.district}{street_stem}供电所",
                lambda: f"中国移动通信集团有限公司{place.city}{place.district}{street_stem}营业厅",
                lambda: f"中国邮政集团有限公司{place.city}市{place.district}{street_stem}邮政支局",
            ))(),
            Category.AGENCY: lambda: rng.choice((
                lambda: f"{place.city_full}{place.district}{rng.choice(CITY_DEPARTMENTS)}",
                lambda: f"{place.city_full}{_street_office(place.district, place.street)}",
                lambda: f"{place.district}{place.street}{rng.choice(STREET_AGENCY_UNITS)}",
                lambda: f"{place.city_full}公安局{place.district}分局{street_stem}派出所",
            ))(),
            Category.PUBLIC_INSTITUTION: lambda: (
                f"{place.city_full}{place.district}{rng.choice(CITY_INSTITUTIONS)}" if rng.random() < 0.3
                else f"{place.district}{place.street}{rng.choice(STREET_INSTITUTIONS)}"
            ),
        }
        return self.unique(templates[category])

    # -- a whole unit ------------------------------------------------------------------

    def party(self, category: str) -> tuple[str, int]:
        rng = self.rng
        low, high = PARTY_MEMBERS[category]
        count = rng.randint(low, high)
        if count < 3 or rng.random() > OWN_ORG_LIKELIHOOD.get(category, 1.0):
            return PartyOrgForm.NONE, min(count, rng.randint(0, 2))
        if count >= 100:
            return PartyOrgForm.COMMITTEE, count
        if count >= 50:
            return PartyOrgForm.GENERAL_BRANCH, count
        return PartyOrgForm.BRANCH, count

    def fields(self, category: str, place: Place, *, name: str | None = None) -> dict:
        """Keyword arguments for member_unit_create (and for a MemberUnit row)."""
        form, count = self.party(category)
        return {
            "name": name or self.name(category, place),
            "category": category,
            "credit_code": self.credit_code(category, place.region),
            "party_org_form": form,
            "party_member_count": count,
            "address": f"{place.city_full}{place.district}{self.rng.choice(place.roads)}"
                       f"{self.rng.randint(1, 399)}号",
            "contact_name": self.person(),
            "contact_phone": self.phone(place.area_code),
        }


def _community_roles(rng: random.Random, categories: list[str]) -> list[str]:
    """One rotating chair a community and two to four part-time committee members."""
    roles = [MembershipRole.MEMBER] * len(categories)
    if not categories:
        return roles
    preferred = [i for i, c in enumerate(categories) if c in CHAIR_FIRST]
    chair = rng.choice(preferred) if preferred else 0
    roles[chair] = MembershipRole.CHAIR
    others = [i for i in range(len(categories)) if i != chair]
    for i in rng.sample(others, min(len(others), rng.randint(2, 4))):
        roles[i] = MembershipRole.COMMITTEE
    return roles


# --------------------------------------------------------------------------------------
# Accounts.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    password: str  # shown in the table; empty when the account existed before
    role: str
    alliance: str


def _demo_user(*, username: str, name: str, hashed: str, superuser: bool = False) -> tuple[User, bool]:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(username=username, name=name, email=f"{username}@example.cn", password=hashed,
                is_staff=superuser, is_superuser=superuser)
    user.save()
    return user, True


def _admin(hashed: str) -> tuple[User, bool]:
    admin, created = _demo_user(username="admin", name="平台管理员", hashed=hashed, superuser=True)
    if not admin.is_superuser or not admin.is_active:
        raise CommandError("用户 admin 已存在,但不是启用的超级管理员;无法用它生成演示数据。")
    return admin, created


def _grant(*, admin: User, hashed: str, username: str, name: str, alliance: Alliance, role: str,
           unit: MemberUnit | None = None) -> Account:
    user, created = _demo_user(username=username, name=name, hashed=hashed)
    role_assign(user=admin, target=user, alliance=alliance, role=role, member_unit=unit)
    where = alliance.name if unit is None else f"{alliance.name} · {unit.name}"
    return Account(username, DEMO_PASSWORD if created else "", str(Role(role).label), where)


# --------------------------------------------------------------------------------------
# Dadukou, through the services.
# --------------------------------------------------------------------------------------


def _dadukou_plan(rng: random.Random, factory: UnitFactory, places: list[Place]) -> list[list[tuple[str, str]]]:
    """(category, name) of the units of each community, DADUKOU_UNITS in all."""
    plan: list[list[tuple[str, str]]] = [[] for _ in places]
    by_street: dict[str, list[int]] = {}
    for i, place in enumerate(places):
        by_street.setdefault(place.street, []).append(i)

    def anywhere() -> int:
        return rng.randrange(len(places))

    for name in (*DADUKOU_AGENCIES, *DADUKOU_INSTITUTIONS, *DADUKOU_STATE_ENTERPRISES,
                 *DADUKOU_HOSPITALS, *DADUKOU_SCHOOLS):
        factory.claim(name)
    for i, place in enumerate(places):
        for category in (Category.PROPERTY_MANAGEMENT, Category.OWNERS_COMMITTEE):
            plan[i].append((category, factory.name(category, place)))
    for street, members in by_street.items():
        plan[rng.choice(members)].append((Category.AGENCY, factory.claim(_street_office("大渡口区", street))))
        health = f"大渡口区{street}社区卫生服务中心" if street.endswith("街道") else f"大渡口区{street}卫生院"
        plan[rng.choice(members)].append((Category.HOSPITAL, factory.claim(health)))
    for category, names in (
        (Category.AGENCY, DADUKOU_AGENCIES),
        (Category.PUBLIC_INSTITUTION, DADUKOU_INSTITUTIONS),
        (Category.STATE_ENTERPRISE, DADUKOU_STATE_ENTERPRISES),
        (Category.HOSPITAL, DADUKOU_HOSPITALS),
        (Category.SCHOOL, DADUKOU_SCHOOLS),
    ):
        for name in names:
            plan[anywhere()].append((category, name))
    for category, count in DADUKOU_EXTRA.items():
        for _ in range(count):
            i = anywhere()
            plan[i].append((category, factory.name(category, places[i])))
    planned = sum(len(units) for units in plan)
    if planned > DADUKOU_UNITS:  # pragma: no cover - a mistake in the lists above
        raise CommandError(f"the curated lists hold {planned} units, more than {DADUKOU_UNITS}")
    for _ in range(DADUKOU_UNITS - planned):
        i = anywhere()
        plan[i].append((Category.PRIVATE_ENTERPRISE, factory.name(Category.PRIVATE_ENTERPRISE, places[i])))
    for units in plan:
        rng.shuffle(units)
    return plan


def dadukou_build(*, admin: User, rng: random.Random) -> dict[str, object]:
    """The district, its 8 streets and 63 communities, two industry alliances and 530 units."""
    root = tenant_create(name=DADUKOU_NAME, code=DADUKOU_CODE, level=Level.DISTRICT,
                         initiating_organisation="中共大渡口区委")
    streets: dict[str, Alliance] = {}
    communities: list[Alliance] = []
    places: list[Place] = []
    for street_name, suffix, stems in DADUKOU_STREETS:
        street = alliance_create(
            user=admin, parent=root, name=f"{street_name}党建共同体", level=Level.STREET,
            code=f"{DADUKOU_CODE}{suffix}", initiating_organisation=_street_organisation(street_name),
        )
        streets[street_name] = street
        for n, stem in enumerate(stems, 1):
            community_name = f"{stem}社区"
            communities.append(alliance_create(
                user=admin, parent=street, name=f"{community_name}党建共同体", level=Level.COMMUNITY,
                code=f"{street.code}{n:03d}", initiating_organisation=f"{community_name}“大党委”",
            ))
            places.append(Place("重庆", "重庆市", "大渡口区", DADUKOU_CODE, street_name, community_name,
                                "023", DADUKOU_ROADS))
    sme = alliance_create(
        user=admin, parent=root, name="服务中小微企业和个体工商户行业党建共同体", level=Level.DISTRICT,
        kind=Kind.INDUSTRY, code=f"{DADUKOU_CODE}HY01",
        initiating_organisation="大渡口区非公有制经济组织和社会组织综合党委",
        description="面向全区机关企事业单位招募党员志愿者,定期走访联系中小微企业和个体工商户,"
                    "帮助解决实际困难和问题。",
    )
    property_alliance = alliance_create(
        user=admin, parent=root, name="物业行业党建共同体", level=Level.DISTRICT, kind=Kind.INDUSTRY,
        code=f"{DADUKOU_CODE}HY02", initiating_organisation="大渡口区物业行业综合党委",
        description="由区物业行业综合党委牵头,统筹全区物业服务企业参与社区治理、服务居民。",
    )

    factory = UnitFactory(rng)
    plan = _dadukou_plan(rng, factory, places)
    units: list[MemberUnit] = []
    for community, place, entries in zip(communities, places, plan, strict=True):
        roles = _community_roles(rng, [category for category, _name in entries])
        for (category, name), role in zip(entries, roles, strict=True):
            unit = member_unit_create(user=admin, alliance=community, join=False,
                                      **factory.fields(category, place, name=name))
            membership_create(
                user=admin, unit=unit, alliance=community, role=role, joined_on=factory.joined_on(),
                representative="" if role == MembershipRole.MEMBER else factory.person(),
            )
            units.append(unit)

    by_name = {unit.name: unit for unit in units}
    property_units = [u for u in units if u.category == Category.PROPERTY_MANAGEMENT]
    sme_units = [by_name[name] for name in DADUKOU_SME_AGENCIES] + rng.sample(
        [u for u in units if u.category == Category.PRIVATE_ENTERPRISE], 40
    )
    for alliance, members in ((property_alliance, property_units), (sme, sme_units)):
        roles = [MembershipRole.MEMBER] * len(members)
        roles[0] = MembershipRole.CHAIR
        for i in rng.sample(range(1, len(members)), 4):
            roles[i] = MembershipRole.COMMITTEE
        for unit, role in zip(members, roles, strict=True):
            membership_create(
                user=admin, unit=unit, alliance=alliance, role=role, joined_on=factory.joined_on(),
                representative="" if role == MembershipRole.MEMBER else factory.person(),
            )
    return {"root": root, "streets": streets, "communities": communities, "units": units}


def dadukou_accounts(*, admin: User, admin_created: bool, hashed: str, built: dict) -> list[Account]:
    root: Alliance = built["root"]
    street: Alliance = built["streets"]["春晖路街道"]
    community = next(c for c in built["communities"] if c.path.startswith(street.path))
    unit = next(u for u in built["units"]
                if u.alliance_id == community.pk and u.category == Category.PROPERTY_MANAGEMENT)
    role_assign(user=admin, target=admin, alliance=root, role=Role.DISTRICT_ADMIN)
    grant = {"admin": admin, "hashed": hashed}
    return [
        Account("admin", DEMO_PASSWORD if admin_created else "",
                f"超级管理员 + {Role.DISTRICT_ADMIN.label}", root.name),
        _grant(**grant, username="zuzhibu", name="区委组织部管理员", alliance=root, role=Role.DISTRICT_ADMIN),
        _grant(**grant, username="jiedao", name="春晖路街道书记", alliance=street, role=Role.SECRETARY),
        _grant(**grant, username="shequ", name=f"{_stem(community.name.removesuffix('党建共同体'))}社区书记",
               alliance=community, role=Role.SECRETARY),
        _grant(**grant, username="gongzuo", name="春晖路街道工作人员", alliance=street, role=Role.STAFF),
        _grant(**grant, username="lianluo", name=f"{unit.name}联络员", alliance=community,
               role=Role.LIAISON, unit=unit),
        _grant(**grant, username="guancha", name="区级观察员", alliance=root, role=Role.OBSERVER),
    ]


# --------------------------------------------------------------------------------------
# A city, with bulk inserts.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreetSpec:
    name: str
    code: str
    communities: tuple[str, ...]


@dataclass(frozen=True)
class DistrictSpec:
    name: str
    code: str  # six digits: the region part of the units' credit codes
    streets: tuple[StreetSpec, ...]


@dataclass(frozen=True)
class CitySpec:
    """The shape of a city tenant; `city_build` writes it, whatever its size."""

    name: str  # 武汉市
    code: str
    districts: tuple[DistrictSpec, ...]
    units: int
    area_code: str = "027"
    roads: tuple[str, ...] = WUHAN_ROADS
    account_prefix: str = "wh_"

    @property
    def short_name(self) -> str:
        return self.name.removesuffix("市")

    @property
    def root_name(self) -> str:
        return f"{self.name}党建共同体"

    @property
    def street_count(self) -> int:
        return sum(len(d.streets) for d in self.districts)

    @property
    def community_count(self) -> int:
        return sum(len(s.communities) for d in self.districts for s in d.streets)

    @property
    def alliance_count(self) -> int:
        return 1 + len(self.districts) + self.street_count + self.community_count


def _community_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct community names such as 永红社区, 青和社区."""
    if count > len(COMMUNITY_FIRST) * len(COMMUNITY_SECOND):  # pragma: no cover
        raise ValueError("not enough community names")
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < count:
        first, second = rng.choice(COMMUNITY_FIRST), rng.choice(COMMUNITY_SECOND)
        name = f"{first}{second}社区"
        if first != second and name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _spec(*, name: str, code: str, districts: list[tuple[str, str, list[str]]], per_street: list[int],
          units: int, rng: random.Random, **extra) -> CitySpec:
    names = iter(_community_names(rng, sum(per_street)))
    counts = iter(per_street)
    built = []
    for district_name, district_code, streets in districts:
        built.append(DistrictSpec(district_name, district_code, tuple(
            StreetSpec(street, f"{district_code}{n:03d}", tuple(next(names) for _ in range(next(counts))))
            for n, street in enumerate(streets, 1)
        )))
    return CitySpec(name=name, code=code, districts=tuple(built), units=units, **extra)


def wuhan_spec(rng: random.Random) -> CitySpec:
    """13 districts, 156 streets, 1,433 communities, 50,000 member units."""
    streets = sum(len(s) for _n, _c, s in WUHAN_DISTRICTS)
    base, extra = divmod(WUHAN_COMMUNITIES, streets)
    bigger = set(rng.sample(range(streets), extra))
    per_street = [base + (i in bigger) for i in range(streets)]
    return _spec(name="武汉市", code=WUHAN_CODE,
                 districts=[(n, c, list(s)) for n, c, s in WUHAN_DISTRICTS],
                 per_street=per_street, units=WUHAN_UNITS, rng=rng)


def grid_spec(*, districts: int, streets: int, communities: int, units_per_community: int,
              name: str = "示范市", code: str = "990100", rng: random.Random | None = None) -> CitySpec:
    """A regular city for tests: districts × streets × communities × units."""
    rng = rng or random.Random(SEED)
    prefix = code[:4]
    shape = [
        (f"第{d}区", f"{prefix}{d:02d}", [f"第{d}区{s}号街道" for s in range(1, streets + 1)])
        for d in range(1, districts + 1)
    ]
    return _spec(name=name, code=code, districts=shape, per_street=[communities] * (districts * streets),
                 units=districts * streets * communities * units_per_community, rng=rng,
                 account_prefix=f"{code}_")


def city_build(*, spec: CitySpec, rng: random.Random, batch_size: int = 2000,
               progress: bool = False) -> Alliance:
    """Write the whole city: tree rows with computed paths, then units and their memberships.

    Each unit is registered in, and a member of, one community; the first of each community
    is its rotating chair and the next three are part-time committee members.
    """
    root = tenant_create(name=spec.root_name, code=spec.code, level=Level.CITY,
                         initiating_organisation=f"中共{spec.name}委")
    tenant_id = root.tenant_id

    def node(path: str, *, name: str, level: str, code: str, organisation: str, numchild: int) -> Alliance:
        if len(path) % Alliance.steplen:  # more children than one step of 4 base-36 digits holds
            raise CommandError(f"path overflow at {name}")
        return Alliance(tenant_id=tenant_id, path=path, depth=len(path) // Alliance.steplen,
                        numchild=numchild, name=name, level=level, kind=Kind.REGIONAL, code=code,
                        initiating_organisation=organisation)

    nodes: list[Alliance] = []
    places: list[tuple[str, Place]] = []  # (community path, place)
    for d, district in enumerate(spec.districts, 1):
        district_path = Alliance._get_path(root.path, 2, d)
        nodes.append(node(district_path, name=f"{district.name}党建共同体", level=Level.DISTRICT,
                          code=district.code, organisation=f"中共{spec.name}{district.name}委",
                          numchild=len(district.streets)))
        for s, street in enumerate(district.streets, 1):
            street_path = Alliance._get_path(district_path, 3, s)
            nodes.append(node(street_path, name=f"{street.name}党建共同体", level=Level.STREET,
                              code=street.code, organisation=_street_organisation(street.name),
                              numchild=len(street.communities)))
            for c, community in enumerate(street.communities, 1):
                community_path = Alliance._get_path(street_path, 4, c)
                nodes.append(node(community_path, name=f"{community}党建共同体", level=Level.COMMUNITY,
                                  code=f"{street.code}{c:03d}", organisation=f"{community}“大党委”",
                                  numchild=0))
                places.append((community_path, Place(
                    spec.short_name, spec.name, district.name, district.code, street.name, community,
                    spec.area_code, spec.roads,
                )))

    with tqdm(total=len(nodes) + spec.units, desc=spec.name, unit="行", disable=not progress,
              file=sys.stderr) as bar:
        for start in range(0, len(nodes), batch_size):
            Alliance.objects.bulk_create(nodes[start:start + batch_size])
            bar.update(min(batch_size, len(nodes) - start))
        Alliance.objects.filter(pk=root.pk).update(numchild=len(spec.districts))
        root.numchild = len(spec.districts)
        ids = dict(Alliance.objects.filter(tenant_id=tenant_id).values_list("path", "pk"))

        factory = UnitFactory(rng)
        categories = list(CITY_CATEGORY_WEIGHTS)
        weights = list(CITY_CATEGORY_WEIGHTS.values())
        pending: list[tuple[MemberUnit, str, str, dt.date]] = []

        def flush() -> None:
            units = [row[0] for row in pending]
            MemberUnit.objects.bulk_create(units)
            if any(unit.pk is None for unit in units):  # a backend that returns no ids from bulk inserts
                pks = dict(MemberUnit.objects.filter(
                    tenant_id=tenant_id, credit_code__in=[u.credit_code for u in units]
                ).values_list("credit_code", "pk"))
                for unit in units:
                    unit.pk = pks[unit.credit_code]
            Membership.objects.bulk_create([
                Membership(tenant_id=tenant_id, unit_id=unit.pk, alliance_id=unit.alliance_id,
                           alliance_path=unit.alliance_path, role=role, representative=representative,
                           joined_on=joined_on)
                for unit, role, representative, joined_on in pending
            ])
            bar.update(len(pending))
            pending.clear()

        total = len(places)
        for i, (path, place) in enumerate(places):
            # Spread the units evenly: community i gets the units numbered [start, end).
            count = spec.units * (i + 1) // total - spec.units * i // total
            for n in range(count):
                category = rng.choices(categories, weights)[0]
                unit = MemberUnit(tenant_id=tenant_id, alliance_id=ids[path], alliance_path=path,
                                  **factory.fields(category, place))
                role = (MembershipRole.CHAIR if n == 0 else
                        MembershipRole.COMMITTEE if n <= 3 else MembershipRole.MEMBER)
                representative = "" if role == MembershipRole.MEMBER else factory.person()
                pending.append((unit, role, representative, factory.joined_on()))
                if len(pending) >= batch_size:
                    flush()
        if pending:
            flush()
    return root


def city_accounts(*, spec: CitySpec, root: Alliance, admin: User, hashed: str) -> list[Account]:
    """The same roles as the district demo, on the first district, street and community."""
    district = Alliance.objects.get(path=Alliance._get_path(root.path, 2, 1))
    street = Alliance.objects.get(path=Alliance._get_path(district.path, 3, 1))
    community = Alliance.objects.get(path=Alliance._get_path(street.path, 4, 1))
    unit = MemberUnit.objects.filter(alliance=community).order_by("pk").first()
    p = spec.account_prefix
    grant = {"admin": admin, "hashed": hashed}
    district_name, street_name, community_name = (
        a.name.removesuffix("党建共同体") for a in (district, street, community))
    accounts = [
        _grant(**grant, username=f"{p}zuzhibu", name=f"{spec.name}委组织部管理员", alliance=root,
               role=Role.DISTRICT_ADMIN),
        _grant(**grant, username=f"{p}quwei", name=f"{district_name}委组织部管理员", alliance=district,
               role=Role.DISTRICT_ADMIN),
        _grant(**grant, username=f"{p}jiedao", name=f"{street_name}书记", alliance=street,
               role=Role.SECRETARY),
        _grant(**grant, username=f"{p}shequ", name=f"{community_name}书记", alliance=community,
               role=Role.SECRETARY),
        _grant(**grant, username=f"{p}gongzuo", name=f"{street_name}工作人员", alliance=street,
               role=Role.STAFF),
        _grant(**grant, username=f"{p}guancha", name=f"{spec.name}观察员", alliance=root, role=Role.OBSERVER),
    ]
    if unit is not None:
        accounts.insert(5, _grant(**grant, username=f"{p}lianluo", name=f"{unit.name}联络员",
                                  alliance=community, role=Role.LIAISON, unit=unit))
    return accounts


def city_usernames(spec: CitySpec) -> list[str]:
    return [f"{spec.account_prefix}{name}"
            for name in ("zuzhibu", "quwei", "jiedao", "shequ", "gongzuo", "lianluo", "guancha")]


DADUKOU_USERNAMES = ["zuzhibu", "jiedao", "shequ", "gongzuo", "lianluo", "guancha"]


# --------------------------------------------------------------------------------------
# Reset and the command.
# --------------------------------------------------------------------------------------


def tenant_delete(tenant: Tenant) -> None:
    """Every row of the tenant, then its tree and the tenant itself."""
    pending = [m for m in apps.get_models() if issubclass(m, TenantOwned)][::-1]
    while pending:
        blocked = []
        for model in pending:
            try:
                with transaction.atomic():
                    rows = model.objects.filter(tenant_id=tenant.pk)
                    # Rows pointing at a row of their own model (a proposal merged into another, an
                    # agreement's amendment) go first.
                    for fk in model._meta.concrete_fields:
                        if (fk.many_to_one or fk.one_to_one) and fk.related_model is model:
                            rows.filter(**{f"{fk.name}__isnull": False}).delete()
                    rows.delete()
            except (ProtectedError, RestrictedError):
                blocked.append(model)  # another tenant-owned model still points at it
        if len(blocked) == len(pending):
            raise CommandError("无法删除演示租户的数据:" + ", ".join(m.__name__ for m in blocked))
        pending = blocked
    # Accounts homed in the tenant are its data too (the demo accounts among them).
    User.objects.filter(tenant_id=tenant.pk, is_superuser=False).delete()
    # Deleting the root takes its subtree with it (treebeard deletes by path prefix).
    for root in Alliance.objects.filter(tenant_id=tenant.pk, depth=1):
        root.delete()
    tenant.delete()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def accounts_table(accounts: list[Account]) -> str:
    header = ("用户名", "密码", "角色", "党建共同体")
    rows = [header] + [(a.username, a.password or "(原密码,未改动)", a.role, a.alliance) for a in accounts]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "生成演示数据。默认:重庆市大渡口区(1个区、8个街镇、63个社区、2个行业共同体、约530家成员单位)"
        "及每种角色一个演示账号(admin、zuzhibu、jiedao、shequ、gongzuo、lianluo、guancha),"
        f"所有演示账号的密码均为 {DEMO_PASSWORD}。"
        "--city wuhan:武汉市规模(13个区、156个街道、1433个社区、5万家成员单位,批量写入),"
        "演示账号以 wh_ 开头。已存在演示租户时不做改动;--reset 先删除该租户的全部数据和账号再重建"
        "(会先询问确认,--noinput 跳过)。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--city", choices=("dadukou", "wuhan"), default="dadukou",
                            help="dadukou(默认,区级)或 wuhan(市级,大规模)。")
        parser.add_argument("--reset", action="store_true", help="先删除该演示租户的全部数据,再重新生成。")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="--reset 时不再询问确认。")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条。")
        parser.add_argument("--batch-size", type=int, default=2000, help="批量写入每批的行数(市级)。")
        parser.add_argument("--items", type=int, default=3000,
                            help="大渡口演示生成的事项数(默认3000,覆盖各种状态和层级,部分已超期)。")

    def handle(self, *args, city: str, reset: bool, no_progress: bool, batch_size: int,
               interactive: bool = True, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            # Demo accounts with a printed password, and --reset deletes a tenant's accounts:
            # never on a production database by accident.
            raise CommandError("演示数据只能在开发或测试环境生成(DEMO_DATA_ALLOWED 未开启)。")
        started = time.perf_counter()
        rng = random.Random(SEED)
        spec = wuhan_spec(rng) if city == "wuhan" else None
        code = spec.code if spec else DADUKOU_CODE
        tenant = Tenant.objects.filter(code=code).first()
        if tenant is not None and not reset:
            self.stdout.write(f"演示租户“{tenant.name}”({code})已存在,未做任何改动。"
                              f"需要重建时加 --reset。演示账号密码:{DEMO_PASSWORD}")
            return
        if tenant is not None and interactive:
            answer = input(f"这将删除租户“{tenant.name}”({code})的全部数据和账号。输入 yes 继续:")
            if answer.strip().lower() != "yes":
                raise CommandError("已取消。")
        hashed = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
        with transaction.atomic():
            if tenant is not None:
                usernames = city_usernames(spec) if spec else DADUKOU_USERNAMES
                tenant_delete(tenant)
                User.objects.filter(username__in=usernames, is_superuser=False).delete()
                self.stdout.write(f"已删除演示租户“{tenant.name}”及其演示账号。")
            admin, admin_created = _admin(hashed)
            if spec is None:
                built = dadukou_build(admin=admin, rng=rng)
                root = built["root"]
                items = seed_items(root=root, rng=rng, count=options.get("items", 3000), admin=admin)
                self.stdout.write(f"已生成 {items} 个事项。")
                accounts = dadukou_accounts(admin=admin, admin_created=admin_created, hashed=hashed, built=built)
                self.stdout.write("已生成 {meetings} 次会议、{proposals} 个议题、{resolutions} 项决议、{actions} 个决议事项。"
                                  .format(**seed_meetings(root=root)))
                self.stdout.write("已生成 {agreements} 份共建协议(五约各阶段)、{resources} 项资源、{needs} 项需求、"
                                  "{projects} 个共建项目、{points} 条积分记录;签约联络员账号:{accounts}。"
                                  .format(**seed_agreements(root=root, admin=admin, hashed=hashed)))
                accounts.append(Account(*seed_party(root=root, hashed=hashed, stdout=self.stdout)))
            else:
                root = city_build(spec=spec, rng=rng, batch_size=batch_size,
                                  progress=not no_progress and options.get("verbosity", 1) > 0)
                accounts = city_accounts(spec=spec, root=root, admin=admin, hashed=hashed)
                if admin_created:
                    accounts.insert(0, Account("admin", DEMO_PASSWORD, "超级管理员", "全部租户"))
        analyze_tables()
        elapsed = time.perf_counter() - started
        alliances = Alliance.objects.filter(tenant_id=root.tenant_id).count()
        units = MemberUnit.objects.filter(tenant_id=root.tenant_id).count()
        self.stdout.write(self.style.SUCCESS(
            f"已生成“{root.name}”:{alliances} 个党建共同体,{units} 家成员单位,用时 {elapsed:.1f} 秒。"
        ))
        self.stdout.write(accounts_table(accounts))
        self.stdout.write(f"演示账号密码:{DEMO_PASSWORD}")


def analyze_tables() -> None:
    """Fresh planner statistics after a bulk load, so the first queries get the index plans."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Alliance, MemberUnit, Membership))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
