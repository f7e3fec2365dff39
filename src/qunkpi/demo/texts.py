"""Chinese phrase banks for the demo data set.

Every bank is built from combinatorial templates (lead-in x core x ending ...), so that the
generated texts are varied while staying believable. Banks are lists of strings; the generator
picks from them by index (vectorised), never by formatting one string per message.

Themes: ``fitness`` (轻食/打卡), ``parenting`` (母婴), ``b2b`` (家电配件工程师/经销商),
``retail`` (福利秒杀/新品), ``software`` (软件用户服务), ``reading`` (读书会).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

THEMES = ("fitness", "parenting", "b2b", "retail", "software", "reading")
WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
MAX_DAY_N = 400  # check-in "第N天" banks hold N = 1..MAX_DAY_N


def combos(*parts: Sequence[str]) -> list[str]:
    """All concatenations of one item from each part, de-duplicated, order kept."""
    seen: dict[str, None] = {}
    for items in itertools.product(*parts):
        seen.setdefault("".join(items), None)
    return list(seen)


# --------------------------------------------------------------------------- filler & noise

FILLER_CORES = (
    # the common ones are repeated so that they are picked more often
    "收到", "收到", "收到", "收到", "好的", "好的", "好的", "好", "嗯", "嗯嗯", "嗯嗯", "哦", "哦哦",
    "ok", "OK", "好滴", "好哒", "谢谢", "谢谢", "谢谢老板", "谢谢老板", "谢谢老师", "谢谢大家", "感谢",
    "1", "1", "+1", "+1", "+1", "111", "666", "666", "6666", "赞", "厉害", "哈哈", "哈哈哈", "是的",
    "对", "对对对", "可以", "了解", "明白", "知道了", "👍", "[强]", "[抱拳]", "🙏", "[玫瑰]", "[鼓掌]",
    "👏", "😂", "[呲牙]", "冒泡", "来了", "收到收到", "好嘞", "辛苦了",
)  # fmt: skip
FILLER_SUFFIXES = ("", "", "", "", "～", "~", "！", "!", "。", " 👍", "[强]", "🙏", "[玫瑰]", "😄", "哈")

GREETING_MORNING = combos(
    ("早安", "早上好", "早", "大家早上好", "早安各位", "各位早", "早呀", "早安打工人", "早上好呀"),
    ("", "", "～", "！", "☀️", "[太阳]", "🌞", "[爱心]", " 😊"),
)
GREETING_NOON = combos(("中午好", "午安", "大家中午好"), ("", "～", "！", "[咖啡]", "☕"))
GREETING_AFTERNOON = combos(("下午好", "大家下午好", "下午好呀"), ("", "～", "！", "[咖啡]", "☕"))
GREETING_EVENING = combos(("晚上好", "大家晚上好", "晚上好呀"), ("", "～", "！", "🌙", "[月亮]"))
GREETING_NIGHT = combos(
    ("晚安", "大家晚安", "晚安好梦", "晚安各位", "睡了睡了", "晚安啦"),
    ("", "", "～", "！", "🌙", "[月亮]", "💤", "[爱心]"),
)
GREETINGS = (GREETING_MORNING, GREETING_NOON, GREETING_AFTERNOON, GREETING_EVENING, GREETING_NIGHT)
GREETING_FROM_HOUR = (5, 11, 14, 18, 21)  # each bank is used from this hour on (night also before 5)
EMOTION_TEXTS = ("[动画表情]", "[表情]", "[动画表情]", "[捂脸]", "[强]", "[OK]", "[旺柴]", "[耶]")
REDPACKET_TEXTS = combos(
    ("[红包]",),
    ("恭喜发财，大吉大利", "周末快乐", "感谢大家", "新人报到", "祝大家打卡成功", "谢谢群主", "一点心意"),
)
VOTE_TEXTS = (
    "投票：下周读哪本书？",
    "投票：下期打卡主题",
    "投票：你最想要的福利",
    "投票：下次线下活动时间",
    "投票：研讨会主题征集",
    "投票：群里最想听的直播话题",
)

# --------------------------------------------------------------------------- questions and answers

Q_LEADINS = (
    "", "", "", "", "请问", "请问一下，", "想问下", "问一下", "大家好，", "有没有人知道", "求助：", "各位，",
    "打扰一下，", "新人求问，", "@群主 ", "@小助手 ",
)  # fmt: skip
Q_WH_ENDINGS = ("？", "？", "?", "", "呢？", "呀？", "？？", "？谢谢", "，急！", "呀", "？在线等")
Q_YN_ENDINGS = ("吗？", "吗？", "吗", "？", "?", "不？", "吗？谢谢", "吗？？", "呀？")

# (question core, staff answer, peer answer or "" = a generic peer reply); each core is one topic
QA_WH: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fitness": (
        ("轻食餐晚上几点吃比较好", "晚饭建议在七点前吃完，轻食餐热量控制在400千卡左右", "我一般六点半吃，睡前不饿"),
        ("平台期怎么突破", "平台期可以调整一下碳水比例，再加两次力量训练，我私信发您方案", "平台期坚持两周就过去了"),
        ("每天喝多少水合适", "一般按体重（公斤）乘以30毫升来算，运动日再多喝一些", "喝够体重乘以30毫升的水就行"),
        ("有什么低卡零食推荐", "可以试试小程序里的低卡零食礼包，魔芋爽和海苔都不错", "魔芋爽和无糖酸奶，亲测不胖"),
        ("这周的打卡任务是什么", "本周打卡任务：每天步数8000+，外加一餐轻食，详细见群公告", "群公告里有打卡任务"),
        ("鸡胸肉怎么做才不柴", "鸡胸肉先用盐水泡半小时，再用空气炸锅200度12分钟就不柴", "先用盐水泡半小时再煎就不柴"),
        ("热量缺口多少合适", "热量缺口控制在300到500千卡之间最合适，别过度节食", ""),
        ("体脂率怎么测比较准", "体脂秤只看趋势就好，固定早上空腹测一次最准", "每天同一时间测，看趋势就行"),
        ("跑步膝盖疼怎么办", "先停两天休息，跑前做好热身，跑鞋也要选有缓震的", "换双缓震好的跑鞋，我换了就不疼了"),
        ("早餐吃什么比较顶饱", "燕麦+鸡蛋+一杯牛奶，蛋白质够了就比较顶饱", "燕麦加两个鸡蛋，一上午都不饿"),
        ("代餐奶昔在哪里买", "代餐奶昔在小程序商城就能买到，群里下单有会员价", "小程序商城里有"),
        ("减脂期晚饭怎么安排", "晚饭以蔬菜和优质蛋白为主，主食减半，七点前吃完", ""),
    ),
    "parenting": (
        ("宝宝八个月辅食怎么加", "八个月可以加蛋黄和肉泥了，每次只加一种，观察三天", "我家是先加蛋黄，再加肉泥"),
        ("夜奶怎么戒", "戒夜奶建议循序渐进，先减量再延长间隔，一般两周左右", "戒夜奶要循序渐进，我用了两周"),
        ("奶粉转段要注意什么", "转段建议七天慢慢过渡，新旧奶粉按比例混合", "我们是一周内慢慢换过来的"),
        ("宝宝湿疹用什么药膏", "湿疹先做好保湿，需要用药的话一定先看医生哦", "湿疹先保湿，严重的话去看医生"),
        ("几个月可以吃鸡蛋", "一般七八个月可以先试蛋黄，一岁后再加蛋白", "我家八个月开始吃蛋黄"),
        ("纸尿裤哪个牌子不容易红屁屁", "可以先领试用装试试，透气性好的更不容易红屁屁", "勤换比牌子重要，我们用的那款挺透气"),
        ("宝宝不爱喝水怎么办", "可以换成吸管杯或者小勺喂，奶量够的话不用太担心", "可以试试用吸管杯"),
        ("绘本推荐哪几本", "推荐《好饿的毛毛虫》《猜猜我有多爱你》，群文件里有书单", "绘本推荐《猜猜我有多爱你》"),
        ("宝宝晚上总是哭闹是什么原因", "可能是肠胀气或者出牙，持续哭闹建议及时就医", ""),
        ("辅食机哪款好用", "辅食机选能蒸能打的一体款就行，商城里有群友价", "我用的那款蒸搅一体的，挺方便"),
        ("一岁宝宝一天喝多少奶", "一岁左右每天500毫升左右的奶就够了", ""),
        ("早教课在哪里报名", "早教课报名链接在群公告，本周还有体验名额", ""),
    ),
    "b2b": (
        ("压缩机启动电容选多大的", "启动电容按压缩机铭牌上的规格选，偏差不要超过10%", "按说明书上的规格来，别超过10%"),
        ("这款温控器的替代型号是哪个", "这款温控器可替代型号是WK-3200，参数表我私信发您", "我们用过WK-3200，参数基本一致"),
        ("PTC加热器的耐压测试标准是多少", "按GB 4706的要求，耐压1500V持续1分钟无击穿，报告在群文件", ""),
        ("3C认证资料在哪里下载", "3C和RoHS报告已上传到群文件，也可以在官网下载中心找到", "认证资料在官网下载中心"),
        ("交期一般多久", "常规型号交期15个工作日，急单可以申请加急", "交期我们上次是两周"),
        ("样品怎么申请", "样品申请请填写群公告里的表单，3个工作日内寄出", "样品找对接的销售申请就行"),
        ("接线图和说明书不一致以哪个为准", "以最新版接线图为准，说明书下个版本会更新", "以接线图为准，说明书是旧版"),
        ("这个继电器的触点寿命是多少次", "额定负载下电寿命10万次，机械寿命1000万次", ""),
        ("变频板报E5故障一般是什么原因", "E5是主控和显示板通讯故障，建议先检查连接线", "E5一般是通讯故障，查一下排线"),
        ("批量采购的价格怎么算", "批量价格按年度用量阶梯报价，我私信您报价单", ""),
        ("风机电机的噪音怎么降下来", "可以加装减震垫，同时检查风叶动平衡", "加装减震垫噪音能降不少"),
        ("新国标能效要求有什么变化", "新国标提高了能效门槛，解读资料已上传群文件", ""),
    ),
    "retail": (
        ("这个券怎么用", "券在下单页自动抵扣，满减券需要满足金额门槛", "下单的时候自动抵扣的"),
        ("秒杀几点开始", "秒杀今晚八点准时开始，提前加购哦", "秒杀是晚上八点"),
        ("拼团怎么参加", "点商品页的“发起拼团”，邀请一位好友就能成团", ""),
        ("发货要几天", "订单48小时内发货，默认顺丰", "发货一般两三天"),
        ("这个链接怎么打不开", "链接可能过期了，我重新发一个新链接", "换个浏览器打开试试"),
        ("会员价和秒杀价哪个便宜", "秒杀价更低，但每人限购一件", ""),
        ("赠品什么时候发", "赠品随包裹一起发出", "赠品是跟着包裹一起发的"),
        ("积分怎么兑换", "积分在“我的-积分商城”里兑换", "积分在个人中心里兑换"),
        ("快递是哪家", "默认顺丰，偏远地区走邮政", ""),
        ("这款和上次那款有什么区别", "这款是升级版，容量更大，价格一样", ""),
        ("尺码怎么选", "详情页有尺码表，按平时的尺码选就行", ""),
        ("退换货怎么操作", "在订单页申请售后，支持七天无理由退换", ""),
    ),
    "software": (
        ("新版本在哪里下载", "新版本可以在官网或应用商店更新", "官网下载最新版就行"),
        ("导出Excel怎么乱码了", "导出时在设置里选择UTF-8编码就不会乱码了", "导出的时候选UTF-8编码就不乱码"),
        ("怎么绑定第二台设备", "在设置-账号-设备管理里添加设备就可以", "在设置-账号-设备管理里绑定"),
        ("登录一直转圈怎么办", "请先清一下缓存再重试，还不行的话把日志发我", "清一下缓存试试"),
        ("发票怎么开", "发票在“我的-订单”里申请，1个工作日开出", "在我的-订单里能开发票"),
        ("同步失败怎么处理", "这个问题已经反馈给技术同学，预计今晚发版修复", "重启一下就好了，我上次也是这样"),
        ("安卓版什么时候更新", "安卓版预计下周上架，会在群里通知", ""),
        ("怎么取消自动续费", "在“我的-会员-自动续费”里关闭即可", ""),
        ("团队版多少钱一年", "团队版按人数计费，5人起，详细报价我私信您", ""),
        ("模板在哪里找", "模板在首页的“模板中心”，可以按行业筛选", "首页就有模板中心"),
        ("数据怎么迁移到新电脑", "登录同一个账号会自动同步，本地数据可以先导出备份", "登录同一个账号就自动同步了"),
        ("打印出来格式为什么错乱", "打印前在页面设置里选“适应纸张”，一般就正常了", ""),
    ),
    "reading": (
        ("这周读到第几章了", "本周读到第四章，进度表在群公告", "我读到第五章了"),
        ("下次线下活动在哪里", "线下活动在周六下午的朝阳书店二楼", "线下活动在群公告里"),
        ("这本书的译本哪个好", "推荐三联的译本，译者注释比较全", "译本我推荐三联版的"),
        ("作者还写过什么", "作者还有两本随笔集，书单在群文件", "作者的另一本也很好看"),
        ("读书笔记交到哪里", "读书笔记提交到群文件的共享文档", "笔记交到群文件的共享文档里"),
        ("下一本读什么", "下一本书正在投票，明天截止", ""),
        ("这一章讲的核心观点是什么", "这一章主要讲课题分离，周日的分享会会详细聊", ""),
        ("大家一般每天读多久", "建议每天30分钟，跟上共读进度就好", "我一般每天读半小时"),
        ("共读计划表在哪看", "共读计划表在群公告", ""),
        ("有什么好用的读书App", "微信读书就挺好，可以加入群书架", "我用微信读书"),
    ),
}  # fmt: skip
QA_YN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fitness": (
        ("燕麦可以代替米饭", "可以的，燕麦饱腹感强，注意选无糖的纯燕麦片", "可以的，我一直用燕麦代替米饭"),
        ("空腹跑步会掉肌肉", "短时间慢跑问题不大，超过40分钟建议先吃点东西", "不建议空腹跑太久，容易低血糖"),
        ("练完腿第二天酸痛正常", "正常的，是延迟性肌肉酸痛，两三天会缓解，多拉伸", "酸痛是正常的，多拉伸一下"),
        ("减脂期能喝奶茶", "偶尔可以，选无糖小杯，别加珍珠和奶盖", "无糖小杯偶尔喝没事"),
        ("生理期还要继续打卡", "生理期可以暂停运动打卡，饮食打卡照常就好", ""),
        ("代餐可以天天吃", "不建议天天吃，一周两三次替代晚餐就好", "代餐别天天吃，一周两三次"),
        ("晚上十点以后还能运动", "可以做些拉伸和瑜伽，剧烈运动会影响睡眠", ""),
        ("轻食营下一期还能报名", "下一期轻食营下周一开放报名，链接会发在群公告", ""),
    ),
    "parenting": (
        ("出牙期发烧正常", "出牙期可能有低热，超过38.5度要及时就医", "我家出牙也低烧过，两天就好了"),
        ("疫苗打完能洗澡", "打完疫苗24小时后再洗澡比较好", "打完疫苗24小时后再洗"),
        ("宝宝可以吃蜂蜜", "一岁以内不能吃蜂蜜哦", "蜂蜜一岁以前不能吃哦"),
        ("这个奶粉有活动", "这周会员日有满减，群里下单还送试用装", ""),
        ("益生菌需要天天吃", "益生菌不建议长期吃，有需要先咨询医生", ""),
        ("满月可以出门", "满月后可以短时间出门晒太阳，注意保暖", "满月后可以出去晒晒太阳"),
        ("母乳期可以喝咖啡", "少量可以，每天一杯以内，最好喂完奶再喝", ""),
        ("下周的育儿讲座还有名额", "还有名额的，报名链接在群公告", ""),
    ),
    "b2b": (
        ("贵司的电机支持小批量打样", "支持小批量打样，起订量100台", ""),
        ("这个型号有RoHS报告", "有的，RoHS报告已上传群文件", "群文件里有"),
        ("变频板的技术手册能发一份", "技术手册已发到群文件，找不到的话我私信您", ""),
        ("温度传感器可以定制线长", "可以定制线长，300毫米以上需要单独报价", "我们定制过，交期多一周"),
        ("这款有现货", "常规型号有现货，具体数量我帮您查一下", ""),
        ("能提供UL认证", "部分型号有UL认证，清单我私信发您", ""),
        ("可以开13%的专票", "可以开13%增值税专票", ""),
        ("下个月的线上研讨会还能报名", "可以报名，链接在群公告", ""),
    ),
    "retail": (
        ("满减能叠加", "满减可以和店铺券叠加使用", "满减和券可以叠加的"),
        ("还有货", "还有少量库存，需要的抓紧哦", ""),
        ("可以开发票", "可以的，在订单详情里申请电子发票", ""),
        ("这个是正品", "官方旗舰店发货，保证正品", "我上次买的是正品，放心"),
        ("下单后可以改地址", "发货前可以改，已经帮您备注修改地址了", ""),
        ("新人券还能领", "新人券在群公告的小程序里领取", "券在群公告的小程序里领"),
        ("今晚还有秒杀", "今晚八点还有一场秒杀", ""),
        ("可以货到付款", "暂不支持货到付款哦", ""),
    ),
    "software": (
        ("会员到期了数据会丢", "会员到期后数据保留180天，续费即可恢复", "数据不会丢，续费就恢复了"),
        ("能批量导入", "可以批量导入，模板在帮助中心下载", "可以批量导入，模板在帮助中心"),
        ("支持Mac版", "支持的，官网可以下载Mac版", ""),
        ("可以多人同时编辑", "团队版支持多人同时编辑", ""),
        ("旧版本还能用", "旧版本还能用，但建议尽快升级", ""),
        ("有教育优惠", "有的，学生和老师认证后打五折", ""),
        ("离线的时候能用", "离线可以编辑，联网后自动同步", ""),
        ("今天服务器是不是出问题了", "刚才服务器有短暂波动，现在已经恢复了", "我这边也是，现在好了"),
    ),
    "reading": (
        ("有电子版", "电子版可以在微信读书搜到", "电子版微信读书上有"),
        ("线下读书会可以带朋友", "可以带朋友，报名时备注一下人数", ""),
        ("这本书值得二刷", "值得，二刷会有很多新发现", ""),
        ("笔记可以用手写拍照", "可以的，拍照上传也算", ""),
        ("周末的分享会有回放", "有回放，结束后发在群里", ""),
        ("还能中途加入共读", "可以中途加入，跟着进度就行", "可以中途加入，跟着进度就行"),
    ),
}  # fmt: skip
Q_GENERIC = (
    "有没有人知道这个怎么退款", "求个链接", "求推荐一款好用的", "能不能把群公告再发一下",
    "这不是刚说过吗？", "有人在吗", "谁能帮我看一下这个", "为什么我的收不到消息啊", "如何加入下一期",
    "怎么没人回答我的问题？", "群主在吗？", "有没有大佬帮忙看看", "求资料", "这是真的吗",
    "那我到底该怎么办呢", "难道就没有更便宜的吗", "能不能私信我一下链接",
)  # fmt: skip
STAFF_GENERIC_ANSWERS = (
    "这个问题我私信您详细说一下", "稍等，我确认一下马上回复您", "群公告里有详细说明，您先看一下",
    "已经记录，今天内给您答复", "在的，您具体说一下情况",
)  # fmt: skip
PEER_GENERIC_ANSWERS = (
    "群公告里有写",
    "上次群里说过，往上翻翻",
    "问一下群主吧",
    "私聊你了",
    "我也遇到过，等客服回复吧",
)

PEER_ANSWER_PREFIXES = ("", "", "", "我觉得", "亲测，", "我之前也遇到过，", "经验之谈：", "我是这样做的，")
PEER_ANSWER_SUFFIXES = ("", "", "～", "，供参考", "。", "哈哈", "👍")
STAFF_ANSWER_PREFIXES = ("您好，", "亲，", "您好～", "收到，", "")
STAFF_ANSWER_SUFFIXES = ("", "～", "，有问题随时找我", "🙏", "[玫瑰]")


def question_topics(theme: str) -> list[tuple[str, str]]:
    """(staff answer, peer answer) per topic id; the last topic is the generic one ("" answers)."""
    return [(s, p) for _, s, p in QA_WH[theme] + QA_YN[theme]] + [("", "")]


def question_bank(theme: str) -> tuple[list[str], list[int]]:
    """Question texts and, aligned with them, the topic id each one asks about."""
    texts: list[str] = []
    topics: list[int] = []
    for t, (core, _, _) in enumerate(QA_WH[theme]):
        items = combos(Q_LEADINS, (core,), Q_WH_ENDINGS)
        texts += items
        topics += [t] * len(items)
    base = len(QA_WH[theme])
    for t, (core, _, _) in enumerate(QA_YN[theme]):
        items = combos(Q_LEADINS[:12], (core,), Q_YN_ENDINGS)
        texts += items
        topics += [base + t] * len(items)
    generic = base + len(QA_YN[theme])
    texts += list(Q_GENERIC) * 4
    topics += [generic] * (len(Q_GENERIC) * 4)
    return texts, topics


def staff_answer_bank(answer: str) -> list[str]:
    cores = (answer,) if answer else STAFF_GENERIC_ANSWERS
    return combos(STAFF_ANSWER_PREFIXES, cores, STAFF_ANSWER_SUFFIXES)


def peer_answer_bank(answer: str) -> list[str]:
    if not answer:
        return combos(PEER_GENERIC_ANSWERS, ("", "～", "。", "哈哈"))
    return combos(PEER_ANSWER_PREFIXES, (answer,), PEER_ANSWER_SUFFIXES)


THANKS_AFTER_ANSWER = combos(
    ("谢谢", "好的谢谢", "收到，谢谢", "明白了", "懂了", "感谢"), ("", "～", "！", "🙏", "[抱拳]")
)

# --------------------------------------------------------------------------- check-ins

CHECKIN_N: dict[str, tuple[str, ...]] = {
    "fitness": (
        "打卡 第{n}天", "第{n}天打卡✅", "Day {n} ✅", "Day{n}打卡", "#轻食打卡# 第{n}天",
        "打卡第{n}天，今天吃了鸡胸肉沙拉", "第{n}天 早餐燕麦+鸡蛋 打卡", "坚持第{n}天💪",
        "【打卡】Day {n} 步数1万+", "第{n}天，体重又降了一点点 打卡",
    ),
    "reading": (
        "《被讨厌的勇气》共读第{n}天打卡", "共读Day {n}：今天读了{p}页", "第{n}天读书打卡📖",
        "Day {n} 读完一章 ✅", "阅读打卡第{n}天",
    ),
    "parenting": ("亲子阅读打卡 第{n}天", "宝宝辅食打卡Day {n}", "早睡打卡第{n}天"),
    "retail": ("签到第{n}天", "连续签到{n}天✅"),
    "software": ("签到 Day {n}",),
    "b2b": ("签到第{n}天",),
}  # fmt: skip


def checkin_n_bank(theme: str) -> list[str]:
    """Template-major bank: index = template * MAX_DAY_N + (n - 1)."""
    out: list[str] = []
    for tpl in CHECKIN_N[theme]:
        out.extend(tpl.format(n=n, p=20 + (n * 7) % 31) for n in range(1, MAX_DAY_N + 1))
    return out


def checkin_plain_bank(theme: str) -> list[str]:
    common = ["签到", "已打卡", "今日签到✅", "签到～", "打卡"]
    if theme == "fitness":
        runs = [f"今日{km}公里✅ 用时{km * 6 + d}分" for km in range(3, 13) for d in (-2, 0, 1, 3)]
        steps = [f"今日步数{s}步✅" for s in range(8000, 20001, 700)]
        meals = combos(
            ("早餐打卡：", "午餐打卡 ", "晚餐打卡 "),
            ("燕麦+鸡蛋+黑咖啡", "轻食沙拉一份", "🥗", "鸡胸肉+西兰花", "全麦面包+牛奶"),
        )
        jumps = [f"跳绳{k}个✅" for k in range(500, 3001, 250)]
        return common + runs + steps + meals + jumps
    if theme == "reading":
        return (
            common
            + [f"今日阅读{m}分钟✅" for m in (20, 30, 40, 45, 60, 90)]
            + [f"读书打卡：《被讨厌的勇气》第{c}章" for c in range(1, 16)]
        )
    if theme == "parenting":
        return [*common, "宝宝辅食打卡：南瓜小米粥", "宝宝辅食打卡：蛋黄泥", "今天陪娃读了三本绘本✅"]
    return [*common, "签到领积分", "每日签到+1"]


# --------------------------------------------------------------------------- long shares

SHARE_OPENERS = (
    "分享一下我的经验：",
    "说说我的情况，",
    "给新来的朋友们分享下，",
    "我的一点心得：",
    "",
    "总结一下这个月：",
)
SHARE_CLOSERS = ("希望对大家有帮助！", "仅供参考～", "大家有问题可以问我。", "", "一起加油💪")
SHARE_BODIES: dict[str, tuple[str, ...]] = {
    "fitness": (
        "坚持轻食三周，体重从128斤降到了121斤，最大的感受是晚饭一定要早吃，而且要吃够蛋白质。",
        "我的减脂早餐一般是燕麦加牛奶再加一个水煮蛋，饱腹感很强，上午基本不会饿，推荐给大家试试。",
        "跑步新手一定要先买一双合适的跑鞋，我之前穿板鞋跑了两周膝盖就疼了，换了跑鞋以后好多了。",
        "平台期不要慌，我卡在同一个体重十天，后来把碳水换成粗粮，又加了两次力量训练就开始掉秤了。",
        "鸡胸肉提前一晚用黑胡椒和少许生抽腌好，第二天空气炸锅十二分钟，口感一点都不柴，特别适合带饭。",
        "周末聚餐吃多了也别有负罪感，第二天多喝水多走路，恢复正常饮食就好，千万别用节食来补偿。",
    ),
    "parenting": (
        "我家宝宝六个月开始加辅食，先是高铁米粉，一周后加了南瓜泥和胡萝卜泥，每次只加一种观察三天。",
        "戒夜奶我们用了差不多两周，前几天会哭闹，坚持住拍拍哄睡，慢慢就能一觉睡到天亮了，宝妈们加油。",
        "湿疹的话保湿真的很重要，我们每天洗完澡全身涂保湿霜，衣服选纯棉的，现在基本不反复了。",
        "推荐几本适合一岁左右宝宝的绘本：《好饿的毛毛虫》《猜猜我有多爱你》《小熊宝宝》，宝宝特别喜欢。",
        "出牙期宝宝会流口水、咬东西，可以准备牙胶，冰箱冷藏一下再给宝宝咬，能缓解不少牙龈的不适。",
    ),
    "b2b": (
        "我们厂之前压缩机启动困难，后来发现是启动电容容量衰减了，换成同规格的新电容以后问题就解决了。",
        "变频板的散热片一定要涂导热硅脂，我们之前漏涂一批，夏天高温时故障率明显偏高，返工成本很大。",
        "新能效标准下来以后，我们把风机电机换成了直流无刷的，整机功耗降了百分之十五左右，效果很明显。",
        "做出口订单的朋友注意，RoHS和REACH的报告要提前准备，客户验厂的时候第一件事就是查这些材料。",
        "温控器选型除了看温度范围，还要看触点容量和动作精度，我们吃过亏，便宜的型号三个月就漂移了。",
    ),
    "retail": (
        "上次秒杀买的那款空气炸锅用了一个月了，做鸡翅薯条都很方便，清洗也简单，性价比真的很高。",
        "提醒大家：满减券和店铺券是可以叠加的，我昨天凑单下来相当于打了六折，比平时便宜了不少。",
        "收到货了，包装很严实，赠品也都有，这次的洗衣液味道很淡很清新，家里老人孩子都能用，会回购。",
        "给大家总结一下今晚秒杀的几个必买款：纸巾、洗衣凝珠和保温杯，都是历史最低价，需要的别错过。",
    ),
    "software": (
        "导出乱码的问题我折腾了好久，最后发现是Excel默认编码的问题，导出时选UTF-8带BOM就正常了。",
        "分享一个小技巧：在设置里打开自动备份，每天凌晨会同步一次，上次电脑坏了数据一点都没丢。",
        "团队版用了半年，最好用的是多人协同编辑和权限管理，比以前来回发文件方便太多了，推荐给大家。",
        "新版本的模板中心更新了很多行业模板，做月报的时候直接套用，能省下不少整理格式的时间。",
    ),
    "reading": (
        "读完第三章最大的感受是，作者把复杂的概念讲得很通俗，尤其是关于习惯养成的部分，很有启发。",
        "这本书我读了两遍，第一遍只是看热闹，第二遍开始做笔记，才发现很多细节前后都是有呼应的。",
        "推荐大家用费曼学习法读这本书，读完一章试着给别人讲一遍，讲不清楚的地方就是没真正理解。",
        "今天的线下分享会很有收获，几位书友对结局的解读完全不同，听完之后我对主人公有了新的理解。",
    ),
}  # fmt: skip


def share_bank(theme: str) -> list[str]:
    return combos(SHARE_OPENERS, SHARE_BODIES[theme], SHARE_CLOSERS)


# --------------------------------------------------------------------------- chat

CHAT_GENERIC = (
    "今天好冷啊", "我也不知道为什么", "昨天忘记打卡了", "哈哈哈笑死我了", "周末去爬山了", "终于下班了",
    "刚看到消息", "我也是这么觉得的", "楼上说得对", "太真实了", "群里好热闹", "刚到家", "今天加班到现在",
    "下雨了记得带伞", "明天见", "我先去忙了", "有道理", "学到了", "原来是这样", "我也想要", "这个不错",
    "看起来好好吃", "羡慕了", "好久没冒泡了", "我回来了", "今天有点累", "哈哈我也是", "同感", "确实",
    "明天再试试", "我晚点看看", "刚才在开会", "这个我知道", "换季了大家注意身体",
)  # fmt: skip
CHAT_THEME: dict[str, tuple[str, ...]] = {
    "fitness": ("今天又没忍住吃了炸鸡", "明天开始继续努力", "今天练腿练到腿软", "体重终于降了", "晚上吃了沙拉", "下雨只能在家跳操了"),
    "parenting": ("宝宝终于睡了", "今天带娃去打疫苗了", "我家那个也是这样", "带娃真的太累了", "宝宝今天会叫妈妈了", "又是被娃吵醒的一天"),
    "b2b": ("今天在车间待了一天", "这个方案我回去跟领导汇报一下", "展会上见过你们的样品", "我们也在用这个型号", "下周去佛山出差", "最近订单有点多"),
    "retail": ("已经下单了", "刚抢到了", "手慢了没抢到", "等下一波", "快递到了", "这个价格可以"),
    "software": ("我这边也是", "现在好了", "重启之后正常了", "这个功能挺好用的", "我这边还没更新", "等修复"),
    "reading": ("今天读了半小时", "这本书太好看了", "第二章有点难懂", "周末去书店了", "这句话写得真好", "已经买了纸质版"),
}  # fmt: skip
CHAT_SUFFIXES = ("", "", "", "～", "哈哈", "😂", "[捂脸]", "！", "。", "[呲牙]", "…")


def chat_bank(theme: str) -> list[str]:
    return combos(CHAT_GENERIC + CHAT_THEME[theme] * 3, CHAT_SUFFIXES)


# --------------------------------------------------------------------------- complaints

COMPLAINT_GENERIC = (
    "差评", "太失望了", "一言难尽", "客服一直不回，我要投诉", "感觉被坑了", "说好的福利又没了，骗人的吧",
    "体验太差了", "服务越来越差了",
)  # fmt: skip
COMPLAINT_THEME: dict[str, tuple[str, ...]] = {
    "fitness": ("轻食餐送到的时候都凉了，还洒了一半，差评", "这期打卡奖励一直没发，有点失望", "代餐奶昔喝完胃不舒服，想退款"),
    "parenting": ("奶粉买贵了，昨天下单今天就降价了", "纸尿裤用了宝宝红屁股，质量一言难尽", "讲座临时取消也不通知，太失望了"),
    "b2b": ("样品寄了两周还没到，效率太低了", "这批电容不良率太高了，客户投诉好几次", "报价一直不给，感觉不靠谱"),
    "retail": (
        "买贵了，昨天还是原价今天就降了", "申请退款三天了还没处理", "等了半个月还没发货，想退款",
        "收到的东西是坏的，差评", "秒杀根本抢不到，是不是骗人的",
    ),
    "software": (
        "又闪退了，什么时候能修好", "更新完更卡了，垃圾版本", "数据同步又失败了，耽误我一下午工作",
        "续费了功能还是用不了，要求退款", "登录不上，客服也联系不上，失望",
    ),
    "reading": ("寄来的书有破损，差评", "线下活动临时改时间，体验一言难尽"),
}  # fmt: skip
COMPLAINT_PREFIXES = ("", "", "唉，", "说实话，", "真的无语，", "吐槽一下，")
COMPLAINT_SUFFIXES = ("", "。", "！", "😤", "[发怒]", "！！", "[流泪]")


def complaint_bank(theme: str) -> list[str]:
    return combos(COMPLAINT_PREFIXES, COMPLAINT_GENERIC + COMPLAINT_THEME[theme] * 2, COMPLAINT_SUFFIXES)


# --------------------------------------------------------------------------- links, files

LINK_TITLES: dict[str, tuple[str, ...]] = {
    "fitness": ("这篇减脂文章写得好", "转一个跑步拉伸教程", "这个食谱可以试试"),
    "parenting": ("转给需要的宝妈", "这篇辅食攻略很全", "儿科医生的科普视频"),
    "b2b": ("新国标解读", "行业展会信息", "这个技术帖讲得很清楚"),
    "retail": ("这个好物分享一下", "同款链接", "测评视频"),
    "software": ("官方帮助文档", "这个教程讲得很清楚", "更新日志"),
    "reading": ("作者访谈", "这篇书评写得好", "豆瓣书单"),
}
FILE_NAMES: dict[str, tuple[str, ...]] = {
    "fitness": ("21天减脂食谱.pdf", "打卡记录表.xlsx", "跑步训练计划.pdf"),
    "parenting": ("宝宝辅食添加表.pdf", "疫苗接种时间表.jpg", "绘本书单.docx"),
    "b2b": (
        "压缩机配件选型手册2026.pdf",
        "产品报价单.xlsx",
        "变频板接线图.pdf",
        "RoHS检测报告.pdf",
        "样品申请表.docx",
        "温控器规格书.pdf",
    ),
    "retail": ("会员权益说明.pdf", "活动规则.docx"),
    "software": ("导入模板.xlsx", "操作手册v4.2.pdf", "报错截图.zip"),
    "reading": ("读书笔记-第三章.docx", "共读计划表.xlsx", "书单.pdf"),
}


# --------------------------------------------------------------------------- staff

STAFF_MORNING_TPL = ("早安☀️ 今天是{wd}，{tip}", "【早安】{wd}，{tip}", "各位早上好～{wd}快乐！{tip}")
STAFF_TIPS: dict[str, tuple[str, ...]] = {
    "fitness": ("记得喝够八杯水💧", "早餐别忘了蛋白质，今天也要打卡哦", "今天的打卡任务：步数8000+", "早餐吃好，午餐吃饱，晚餐吃少", "今天是练腿日，大家动起来"),
    "parenting": ("今天天气转凉，记得给宝宝添衣", "今天的育儿小知识：辅食要一样一样加", "带娃辛苦了，宝妈们也要照顾好自己", "有问题随时在群里问我哦"),
    "b2b": ("今天的技术小贴士：电容更换要注意耐压值", "本周样品申请通道已开放", "有选型问题随时@我", "新版产品手册已上传群文件"),
    "retail": ("今晚8点秒杀不见不散", "新人券记得领取", "今日爆款：洗衣凝珠第二件半价", "群内专享价只限今天"),
    "software": ("今天的使用小技巧：Ctrl+K 快速搜索", "遇到问题请带截图描述，我们会尽快处理", "新版本已上线，欢迎体验", "服务时间 9:00-22:00"),
    "reading": ("今天也读一会儿书吧📖", "共读进度：本周读完第四章", "今天分享一句话：读书是门槛最低的高贵", "周末的线下分享会开始报名啦"),
}  # fmt: skip


def staff_morning_bank(theme: str) -> list[str]:
    """Weekday-major bank: index = weekday * per_day + k."""
    out: list[str] = []
    for wd in WEEKDAYS_ZH:
        out.extend(t.format(wd=wd, tip=tip) for t in STAFF_MORNING_TPL for tip in STAFF_TIPS[theme])
    return out


STAFF_POST_HEADS = ("", "", "【群公告】", "【通知】", "【温馨提示】", "📢 ")
STAFF_POSTS: dict[str, tuple[str, ...]] = {
    "fitness": (
        "减脂期每天的热量缺口控制在300到500千卡之间最合适，过度节食反而容易掉肌肉、掉头发",
        "21天轻食打卡挑战下周一开始，完成全部打卡的小伙伴可以领取定制运动水杯一个",
        "今晚8点营养师直播，主题是《外卖怎么点才不胖》，记得准时来听", "群规提醒：本群禁止发广告和拉人，违者移出群聊，感谢大家配合",
        "本周打卡之星出炉！恭喜连续打卡7天的小伙伴，奖品明天统一寄出",
    ),
    "parenting": (
        "宝宝发烧超过38.5度或者精神状态不好，一定要及时就医，不要自行用药", "本周四晚上8点儿科医生直播答疑，有问题可以提前在群里留言",
        "辅食添加原则：由少到多、由稀到稠、由细到粗，每次只加一种新食物", "群规提醒：禁止发广告和私加好友推销，发现请告诉群主",
    ),
    "b2b": (
        "下周三14:00线上研讨会《变频技术在家电配件中的应用》，报名链接见群公告", "新版《压缩机配件选型手册》已上传群文件，欢迎下载查阅",
        "技术悬赏：征集变频板E5故障的排查经验，被采纳的方案送京东卡200元", "本月起样品申请统一走线上表单，3个工作日内寄出",
    ),
    "retail": (
        "🔥今晚8点秒杀开始！洗衣凝珠两盒只要39.9元，数量有限手慢无", "【会员福利】本周三会员日全场满199减30，可叠加店铺券",
        "抽奖活动：晒单截图发群里，周日抽3位送价值99元的保温杯", "发货通知：昨天的秒杀订单今天已全部发出，请留意物流信息",
        "群规：本群只发福利和售后通知，禁止广告",
    ),
    "software": (
        "4.2版本已上线，修复了导出乱码和同步失败的问题，请大家更新到最新版", "服务时间调整：工作日9:00-22:00，周末10:00-18:00，紧急问题请留言",
        "使用技巧：批量导入支持Excel模板，模板在帮助中心可以下载", "本周六晚上8点产品经理直播，介绍团队版的新功能，欢迎提问",
    ),
    "reading": (
        "本周共读《被讨厌的勇气》第三、四章，周日晚上8点语音分享，欢迎大家参加", "读书笔记请提交到群文件的共享文档，每周评选优秀笔记送书一本",
        "线下读书会本周六下午两点，地点在朝阳书店二楼，名额20人", "下一本书投票开始了，候选书单在群公告，周五截止",
    ),
}  # fmt: skip
PUSH_PRODUCTS: dict[str, tuple[str, ...]] = {
    "fitness": ("轻食周卡", "代餐奶昔", "鸡胸肉套餐", "低卡零食礼包"),
    "parenting": ("纸尿裤", "婴儿奶粉", "辅食机", "婴儿湿巾"),
    "b2b": ("样品免费申请", "选型手册下载", "研讨会报名"),
    "retail": ("洗衣凝珠", "抽纸24包", "保温杯", "空气炸锅", "牙膏套装", "电动牙刷"),
    "software": ("年度会员", "团队版", "模板包"),
    "reading": ("共读年卡", "签名版新书", "读书笔记本"),
}
PUSH_TEMPLATES = (
    "🔥{p}限时秒杀，仅需{price}元👉 #小程序://福利商城/{code}",
    "【限时福利】{p}群内专享价{price}元，点击抢购 https://shop.example.cn/i/{code}",
    "⏰还剩最后2小时！{p}只要{price}元，手慢无～ #小程序://福利商城/{code}",
    "{p}今日特价{price}元，库存不多了，需要的抓紧🔥",
)
PUSH_PRICES = ("9.9", "19.9", "29.9", "39.9", "59", "99", "129", "199")
STAFF_FILLER = combos(
    ("收到", "好的亲", "感谢支持", "好的，马上处理", "收到收到", "👍"), ("", "～", "🙏", "[玫瑰]")
)
STAFF_EVENING = combos(
    ("晚安🌙 ", "【晚安】", ""),
    ("今天的打卡都完成了吗？", "明天见～", "早点休息，明天继续加油", "明天8点秒杀别忘了", "今天辛苦啦"),
)
SHILL_TEXTS = combos(
    (
        "已下单，真香！",
        "刚抢到了，太划算了",
        "买了三次了，品质没得说",
        "姐妹们冲！这个价格真的很少见",
        "我家一直用这个，推荐",
        "已经回购第二箱了",
    ),
    ("", "👍", "[强]", "！"),
)


def staff_push_bank(theme: str, codes: Iterable[str]) -> list[str]:
    cs = list(codes)
    out: list[str] = []
    for i, (tpl, p, price) in enumerate(itertools.product(PUSH_TEMPLATES, PUSH_PRODUCTS[theme], PUSH_PRICES)):
        out.append(tpl.format(p=p, price=price, code=cs[i % len(cs)]))
    return out


# --------------------------------------------------------------------------- survey comments, misc

NPS_COMMENTS = {
    "promoter": (
        "群里的干货很多，推荐给朋友了",
        "客服回复很及时",
        "活动很丰富，会一直待在群里",
        "群主很用心",
        "学到了很多",
    ),
    "passive": ("还可以，希望多一些福利", "内容有点重复", "一般般吧", "消息有点多"),
    "detractor": ("广告太多了", "问的问题没人回", "消息太多，打扰", "福利越来越少", "感觉被割韭菜了"),
}
CSAT_COMMENTS = {
    "good": ("解决得很快", "耐心专业", "很满意", "回复及时"),
    "bad": ("等了很久才回复", "问题没解决", "答非所问", "一直让我重启"),
}
NICKNAMES = (
    "阳光", "小鱼儿", "陈小姐", "大伟", "A宝妈-朵朵", "跑步的猫", "静待花开", "李工", "老王", "Lily", "晴天",
    "木子", "糖糖妈", "张工-采购", "一路向北", "书虫小林", "Kevin", "琪琪", "向日葵", "周周", "Amy", "王姐",
    "刘工（佛山）", "浅浅", "米粒", "豆豆爸", "小飞侠", "安静的美男子", "Coco", "杨杨",
)  # fmt: skip
SYSTEM_TEMPLATES = (
    '"{a}"加入了群聊',
    '"{a}"通过扫描"{b}"分享的二维码加入群聊',
    '"{b}"邀请"{a}"加入了群聊',
    '"{a}"通过群链接加入了群聊',
)
SYSTEM_STAFF_NAMES = ("群主", "小助手", "运营-小芳", "客服-娜娜")


def system_bank() -> list[str]:
    out: list[str] = []
    for tpl in SYSTEM_TEMPLATES:
        out.extend(tpl.format(a=a, b=b) for a in NICKNAMES for b in SYSTEM_STAFF_NAMES)
    seen = dict.fromkeys(out)
    return list(seen)


# --------------------------------------------------------------------------- rng-made texts

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
    "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "185", "186", "187", "188",
    "189", "191", "198", "199",
)  # fmt: skip
ID_REGIONS = ("110101", "310104", "440305", "330106", "420102", "510107", "320102", "442000", "370202")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
CARD_PREFIXES = ("622202", "621700", "622848", "621483", "622588", "623058")


def _rand_str(rng: np.random.Generator, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


def fake_phone(rng: np.random.Generator) -> str:
    p = PHONE_PREFIXES[int(rng.integers(len(PHONE_PREFIXES)))]
    rest = "".join(str(d) for d in rng.integers(0, 10, 8))
    style = int(rng.integers(5))
    if style == 0:
        return p + rest
    if style == 1:
        return f"{p} {rest[:4]} {rest[4:]}"
    if style == 2:
        return f"{p}-{rest[:4]}-{rest[4:]}"
    if style == 3:
        return f"+86-{p}{rest}"
    return f"+86 {p} {rest[:4]} {rest[4:]}"


def fake_email(rng: np.random.Generator) -> str:
    dom = ("163.com", "qq.com", "126.com", "gmail.com", "outlook.com", "sina.com", "huadeng-parts.cn")[
        int(rng.integers(7))
    ]
    if dom == "qq.com":
        user = str(int(rng.integers(10_000_000, 3_999_999_999)))
    else:
        user = _rand_str(rng, int(rng.integers(4, 9)), "abcdefghijklmnopqrstuvwxyz") + str(
            int(rng.integers(1, 999))
        )
    return f"{user}@{dom}"


def id_checksum(first17: str) -> str:
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[s % 11]


def fake_id_number(rng: np.random.Generator) -> str:
    region = ID_REGIONS[int(rng.integers(len(ID_REGIONS)))]
    y, m, d = int(rng.integers(1970, 2004)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    first17 = f"{region}{y:04d}{m:02d}{d:02d}{int(rng.integers(0, 1000)):03d}"
    return first17 + id_checksum(first17)


def luhn_check_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        v = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return luhn_check_digit(number[:-1]) == number[-1]


def fake_bank_card(rng: np.random.Generator) -> str:
    length = 19 if rng.random() < 0.6 else 16
    body = CARD_PREFIXES[int(rng.integers(len(CARD_PREFIXES)))]
    body += "".join(str(d) for d in rng.integers(0, 10, length - 1 - len(body)))
    card = body + luhn_check_digit(body)
    if rng.random() < 0.3:  # written in groups of four
        card = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    return card


PII_TEMPLATES = (
    "我的手机号是{phone}，麻烦客服联系我一下",
    "电话{phone}，快递员一直联系不上我",
    "资料发我邮箱 {email} 谢谢",
    "发票抬头写公司名，邮箱{email}",
    "身份证号{idn}，帮我查一下实名认证是不是没通过",
    "退款麻烦打到这张卡：{card}",
    "我的银行卡号{card}，退款一直没到账",
    "有事打我电话 {phone}",
    "联系人王女士 {phone}，收货地址不变",
    "报名信息：张敏 {phone} {email}",
    "之前预留的手机号{phone}已经停用了，怎么改？",
    "样品寄到厂里，收件人李工 {phone}",
)


def pii_bank(rng: np.random.Generator, n: int = 240) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        tpl = PII_TEMPLATES[int(rng.integers(len(PII_TEMPLATES)))]
        out.append(
            tpl.format(
                phone=fake_phone(rng),
                email=fake_email(rng),
                idn=fake_id_number(rng),
                card=fake_bank_card(rng),
            )
        )
    return out


SPAM_TEMPLATES = (
    "加微 {wx} 私聊领取免费{gift}",
    "vx：{wx}，兼职日结200+，宝妈学生都可以",
    "想要内部优惠券的加我V：{wx}",
    "点击领取红包 https://t.cn/{code} 先到先得",
    "自家果园赣南脐橙10斤59包邮，需要的私我",
    "代购大牌护肤品，正品保证，有需要私聊",
    "免费领取价值399的{gift}，加{wx}备注群名",
    "V❤：{wx} 低价出会员卡",
    "专业刷单返利，日赚300，私聊领取任务",
    "微商货源一手价，加vx {wx} 看朋友圈",
    "看到请回复，送你一份{gift}，加微信{wx}",
    "💰薅羊毛群，每天免单，扫码加{wx}",
)
SPAM_GIFTS = ("减肥食谱", "育儿资料包", "行业资料", "会员月卡", "试用装", "电子书合集", "课程")


def fake_wechat_id(rng: np.random.Generator) -> str:
    style = int(rng.integers(3))
    if style == 0:
        return (
            _rand_str(rng, int(rng.integers(3, 7)), "abcdefghijklmnopqrstuvwxyz")
            + "_"
            + str(int(rng.integers(1000, 9999)))
        )
    if style == 1:
        return "wx" + _rand_str(rng, 8)
    return _rand_str(rng, 2, "abcdefghijklmnopqrstuvwxyz") + str(int(rng.integers(10_000_000, 99_999_999)))


def spam_bank(rng: np.random.Generator, n: int = 200) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        tpl = SPAM_TEMPLATES[int(rng.integers(len(SPAM_TEMPLATES)))]
        gift = SPAM_GIFTS[int(rng.integers(len(SPAM_GIFTS)))]
        out.append(tpl.format(wx=fake_wechat_id(rng), gift=gift, code=_rand_str(rng, 6)))
    return list(dict.fromkeys(out))


def link_bank(rng: np.random.Generator, theme: str, n: int = 120) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        kind = int(rng.integers(5))
        if kind == 0:
            url = "https://mp.weixin.qq.com/s/" + _rand_str(rng, 22, _ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-")
        elif kind == 1:
            url = f"https://item.jd.com/{int(rng.integers(10**11, 10**12))}.html"
        elif kind == 2:
            url = f"https://v.douyin.com/{_rand_str(rng, 7)}/"
        elif kind == 3:
            url = "https://www.xiaohongshu.com/explore/" + _rand_str(rng, 24, "0123456789abcdef")
        else:
            url = "https://b23.tv/" + _rand_str(rng, 7)
        if rng.random() < 0.5:
            title = LINK_TITLES[theme][int(rng.integers(len(LINK_TITLES[theme])))]
            out.append(f"{title} {url}")
        else:
            out.append(url)
    return out
