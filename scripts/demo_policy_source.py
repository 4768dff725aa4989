"""Writes src/netvigil/policy/data/demo.json, the demo policy dataset, from the facts below.

Every record and every dated event carries the URL of a public source that states it. Facts come
from the five source texts in ../shared/seeds/ (their original publishers: Access Now for the
#KeepItOn letter, ARTICLE 19, the Electronic Frontier Foundation's negotiation timeline, Amnesty
International, and the organisations of the 2024 joint statement) and from the primary and press
sources they cite. Summaries and demands are written here in our own words; no sentence of the
source texts is copied.

Run from the repository root: ``python scripts/demo_policy_source.py`` (the policy tests load the
file, check every record's source and round-trip it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "src/netvigil/policy/data/demo.json"

# --- sources ---
ELEG_ERO = "https://www.elegislation.gov.hk/hk/cap241"
ELEG_NSL = "https://www.elegislation.gov.hk/hk/A406"
WAPO_ERO = (
    "https://www.washingtonpost.com/business/how-far-hong-kongs-emergency-law-can-go-online-too/"
    "2019/11/21/2c728086-0ccb-11ea-8054-289aef6e38a3_story.html"
)
HKFP_0827 = (
    "https://hongkongfp.com/2019/08/27/hong-kong-leader-carrie-lam-says-protests-will-addressed-"
    "local-laws-amid-rumours-emergency-legislation/"
)
QZ_1004 = "https://qz.com/1721944/hong-kong-fears-internet-shutdown-after-face-mask-ban"
COCONUTS_1007 = (
    "https://coconuts.co/hongkong/news/executive-council-member-says-restrictions-on-internet-"
    "under-emergency-law-still-on-the-table/"
)
ISOC_HK = (
    "https://telegra.ph/A-joint-statement-from-the-Internet-Society-Hong-Kong-Chapter-and-Hong-"
    "Kong-Wireless-Technology-Industry-Association-to-the-HKSA-10-09"
)
WIKI_NPC = (
    "https://en.wikipedia.org/wiki/National_People%27s_Congress_decision_on_Hong_Kong_national_"
    "security_legislation"
)
WIKI_NSL = "https://en.wikipedia.org/wiki/Hong_Kong_national_security_law"
WEEK_ART43 = (
    "https://www.theweek.in/news/biz-tech/2020/07/07/facebook-google-suspend-processing-govt-data-"
    "from-hong-kong.html"
)
LATIMES = (
    "https://www.latimes.com/business/story/2020-07-06/google-facebook-twitter-hong-kong-data-"
    "requests"
)
AP_CBS = (
    "https://sanfrancisco.cbslocal.com/2020/07/06/facebook-google-twitter-others-will-deny-chinas-"
    "requests-for-subversive-user-data-in-hong-kong/"
)
SILICON = (
    "https://www.silicon.co.uk/e-regulation/governance/google-hands-over-data-to-hong-kong-"
    "authorities-report-416076"
)
SWARAJYA = (
    "https://swarajyamag.com/news-brief/google-shared-user-data-with-hong-kong-government-despite-"
    "pledging-otherwise"
)
JMSC_2012 = "http://transparency.jmsc.hku.hk/2013/05/06/google-transparency-report-for-hong-kong/"
EJI_2014 = "http://www.ejinsight.com/20140923-hk-govt-boosts-requests-for-data-from-google/"
SCMP_2014 = (
    "https://www.scmp.com/news/hong-kong/politics/article/1799135/data-requests-google-hong-kong-"
    "government-hit-record-high"
)
GOOGLE_TR = "https://transparencyreport.google.com/user-data/overview"
DIGICHINA_CSL = (
    "https://digichina.stanford.edu/work/translation-cybersecurity-law-of-the-peoples-republic-of-"
    "china-effective-june-1-2017/"
)
MONDAQ_CSL = "http://www.mondaq.com/china/x/590742/data+protection/Legal+Update+China+Desk"
CJO_CSL = "https://chinajusticeobserver.com/law/x/cybersecurity-law-of-china-20161107"
AMNESTY_NZ = "https://amnesty.org.nz/china-scrap-draconian-new-cyber-security-law"
AMNESTY_USA = (
    "https://www.amnestyusa.org/press-releases/tech-industry-must-speak-out-against-chinese-"
    "censorship-at-world-internet-conference-2/"
)
UN_RUSSIA_LETTER = "https://undocs.org/A/C.3/72/12"
UN_73_187 = (
    "https://www.pakistanpoint.com/amp/en/story/509113/un-general-assembly-adopts-russia-drafted-"
    "resolution-on.html"
)
TASS_3C = "https://tass.com/world/1091919"
SCMP_74_247 = (
    "https://www.scmp.com/news/world/united-states-canada/article/3043763/un-approves-russian-"
    "sponsored-china-backed-bid-new"
)
UN_74_247 = "https://undocs.org/A/RES/74/247"
UN_75_282 = "https://undocs.org/A/RES/75/282"
OPENNET_75_282 = "https://www.opennetkorea.org/en/wp/3506"
UNODC_AHC = "https://www.unodc.org/unodc/en/cybercrime/ad_hoc_committee/home"
UNODC_IC1 = "https://indico.un.org/event/1000822/"
UNODC_IC2 = (
    "https://www.unodc.org/unodc/en/cybercrime/ad_hoc_committee/intersessional-consultations/"
    "2nd-intersessional-consultation.html"
)
UNODC_IC5 = (
    "https://unodc.org/unodc/en/cybercrime/ad_hoc_committee/intersessional-consultations/"
    "5th-intersessional-consultation.html"
)
COE_0808 = (
    "https://coe.int/fr/web/cybercrime/-/united-nations-treaty-on-cybercrime-agreed-by-the-ad-hoc-"
    "committee"
)
UNIS_1224 = "https://unis.unvienna.org/unis/pressrels/2024/uniscp1183.html"
UN_79_243 = "https://undocs.org/A/RES/79/243"
VNP_HANOI = (
    "https://en.vietnamplus.vn/hanoi-convention-symbol-of-trust-solidarity-between-nations-"
    "post332784.vnp"
)
MOK_LETTER = (
    "https://www.charlesmok.hk/important-news/charles-moks-open-letter-to-the-chief-executive-and-"
    "members-of-the-executive-council/"
)
ACCESSNOW_1101 = "https://www.accessnow.org/press-release/keeping-internet-open-in-hong-kong/"
ACCESSNOW_2024 = (
    "https://www.accessnow.org/press-release/joint-statement-cybercrime-treaty-concluding-session/"
)
HRW_2024 = "https://www.hrw.org/news/2024/01/23/un-draft-cybercrime-treaty-threatens-rights"
HRW_2021 = "https://www.hrw.org/news/2022/01/13/letter-un-ad-hoc-committee-cybercrime"


def ev(kind: str, date: str, source: str, en: str, hant: str, hans: str, **more: Any) -> dict:
    return {"kind": kind, "date": date, "title_en": en, "title_zh_hant": hant,
            "title_zh_hans": hans, "source_url": source, **more}  # fmt: skip


def pv(
    concern: str, article: str, en: str, hant: str, hans: str, source: str | None = None
) -> dict:
    out = {"concern": concern, "article": article, "note_en": en, "note_zh_hant": hant,
           "note_zh_hans": hans}  # fmt: skip
    if source:
        out["source_url"] = source
    return out


def session(n: str, hant: str, hans: str, start: str, end: str, place: str, src: str) -> dict:
    return ev("negotiation_session", start, src, f"Ad Hoc Committee: {n}", f"特設委員會：{hant}",
              f"特设委员会：{hans}", end_date=end, place=place)  # fmt: skip


def consultation(n: str, start: str, end: str, src: str) -> dict:
    return ev("consultation", start, src, f"{n} intersessional consultation with stakeholders",
              f"第{n[0]}輪閉會期間多利益相關方磋商", f"第{n[0]}轮闭会期间多利益相关方磋商",
              end_date=end, place="Vienna")  # fmt: skip


ERO = {
    "slug": "hk-emergency-regulations-ordinance",
    "kind": "emergency_power",
    "jurisdiction": "HK",
    "name_en": "Emergency Regulations Ordinance (Cap. 241)",
    "short_name_en": "Emergency Regulations Ordinance",
    "name_zh_hant": "《緊急情況規例條例》（第241章）",
    "short_name_zh_hant": "緊急法",
    "name_zh_hans": "《紧急情况规例条例》（第241章）",
    "short_name_zh_hans": "紧急法",
    "summary_en": (
        "A 1922 colonial-era law: on an occasion of emergency or public danger the Chief "
        "Executive in Council may make any regulations it considers desirable in the public "
        "interest, including on censorship and the control of communications. In 2019 the "
        "government would not rule out using it against the protests, and did so for a ban on "
        "face coverings."
    ),
    "summary_zh_hant": (
        "1922年殖民地時期的法例：行政長官會同行政會議在緊急或危害公安的情況下，可訂立任何其認為"
        "符合公眾利益的規例，包括審查及管制通訊。2019年政府沒有排除引用此法應對示威，其後以此訂立"
        "禁止蒙面規例。"
    ),
    "summary_zh_hans": (
        "1922年殖民地时期的法例：行政长官会同行政会议在紧急或危害公安的情况下，可订立任何其认为"
        "符合公众利益的规例，包括审查及管制通讯。2019年政府没有排除引用此法应对示威，其后以此订立"
        "禁止蒙面规例。"
    ),
    "source_url": ELEG_ERO,
    "links": [WAPO_ERO],
    "history": [
        ev("adoption", "1922", WAPO_ERO, "Enacted under British colonial rule",
           "於英國殖民管治時期制定", "于英国殖民管治时期制定"),
        ev("threatened_use", "2019-08-27", HKFP_0827,
           "Chief Executive says the government will look at all laws, leaving its use open",
           "行政長官表示政府會研究所有法例，未排除引用", "行政长官表示政府会研究所有法例，未排除引用"),
        ev("invocation", "2019-10-04", QZ_1004,
           "Invoked to make the Prohibition on Face Covering Regulation",
           "引用此法訂立《禁止蒙面規例》", "引用此法订立《禁止蒙面规例》"),
        ev("threatened_use", "2019-10-07", COCONUTS_1007,
           "Executive Council member says an internet ban is not ruled out",
           "行政會議成員稱不排除禁網", "行政会议成员称不排除禁网"),
        ev("court_ruling", "2019-11-18", WAPO_ERO,
           "A court rules the face-covering ban contrary to the Basic Law",
           "法院裁定禁蒙面規例違反《基本法》", "法院裁定禁蒙面规例违反《基本法》"),
    ],
    "provisions": [
        pv("shutdown_blocking", "s. 2(2)(a)",
           "Regulations may control and suppress communications and means of communication.",
           "規例可管制及壓制通訊及通訊工具。", "规例可管制及压制通讯及通讯工具。", ISOC_HK),
        pv("content_removal", "s. 2(2)(a)",
           "Regulations may provide for censorship of publications and writings.",
           "規例可就刊物及文字作出審查。", "规例可就刊物及文字作出审查。", ISOC_HK),
    ],
}  # fmt: skip

NSL = {
    "slug": "hk-national-security-law",
    "kind": "law",
    "jurisdiction": "HK",
    "name_en": (
        "Law of the People's Republic of China on Safeguarding National Security in the Hong "
        "Kong Special Administrative Region"
    ),
    "short_name_en": "National Security Law",
    "name_zh_hant": "《中華人民共和國香港特別行政區維護國家安全法》",
    "short_name_zh_hant": "香港國安法",
    "name_zh_hans": "《中华人民共和国香港特别行政区维护国家安全法》",
    "short_name_zh_hans": "香港国安法",
    "summary_en": (
        "Written and adopted in Beijing by the NPC Standing Committee and applied in Hong Kong "
        "from the night of 30 June 2020. It creates broadly worded offences of secession, "
        "subversion, terrorism and collusion with foreign forces; its Article 43 rules let police "
        "order platforms to remove content and hand over data."
    ),
    "summary_zh_hant": (
        "由全國人大常委會在北京制定及通過，2020年6月30日晚起在香港實施。法例訂立定義寬泛的分裂國家、"
        "顛覆國家政權、恐怖活動及勾結外國勢力罪行；第四十三條實施細則容許警方要求平台刪除內容及提供資料。"
    ),
    "summary_zh_hans": (
        "由全国人大常委会在北京制定及通过，2020年6月30日晚起在香港实施。法例订立定义宽泛的分裂国家、"
        "颠覆国家政权、恐怖活动及勾结外国势力罪行；第四十三条实施细则容许警方要求平台删除内容及提供资料。"
    ),
    "source_url": ELEG_NSL,
    "links": [WIKI_NSL],
    "history": [
        ev("proposal", "2020-05-21", WIKI_NPC,
           "Draft decision on Hong Kong national security legislation put to the NPC",
           "關於香港國家安全立法的決定草案提交全國人大", "关于香港国家安全立法的决定草案提交全国人大"),
        ev("vote", "2020-05-28", WIKI_NPC,
           "National People's Congress authorises its Standing Committee to write the law",
           "全國人大通過決定，授權常委會制定法律", "全国人大通过决定，授权常委会制定法律"),
        ev("adoption", "2020-06-30", WIKI_NSL, "Adopted by the NPC Standing Committee",
           "全國人大常委會通過", "全国人大常委会通过"),
        ev("entry_into_force", "2020-06-30", ELEG_NSL,
           "Promulgated in Hong Kong and in force from 11 pm",
           "在香港公布，晚上十一時起生效", "在香港公布，晚上十一时起生效"),
        ev("implementing_rules", "2020-07-06", WEEK_ART43,
           "Implementation rules for Article 43: police may order removals and demand data",
           "第四十三條實施細則：警方可要求刪除內容及提供資料",
           "第四十三条实施细则：警方可要求删除内容及提供资料"),
    ],
    "provisions": [
        pv("vague_speech_offences", "Arts. 20-22, 29",
           "Secession, subversion and collusion offences defined broadly enough to reach speech.",
           "分裂國家、顛覆國家政權及勾結外國勢力等罪行定義寬泛，可涵蓋言論。",
           "分裂国家、颠覆国家政权及勾结外国势力等罪行定义宽泛，可涵盖言论。"),
        pv("content_removal", "Art. 43 (implementation rules)",
           "Police may require platforms and service providers to remove information.",
           "警方可要求平台及服務提供者刪除訊息。", "警方可要求平台及服务提供者删除信息。", WEEK_ART43),
        pv("government_data_access", "Art. 43 (implementation rules)",
           "Police may require service providers to hand over data; refusal is an offence.",
           "警方可要求服務提供者交出資料，拒絕即屬犯罪。", "警方可要求服务提供者交出资料，拒绝即属犯罪。",
           WEEK_ART43),
    ],
}  # fmt: skip

CSL = {
    "slug": "cn-cybersecurity-law",
    "kind": "law",
    "jurisdiction": "CN",
    "name_en": "Cybersecurity Law of the People's Republic of China",
    "short_name_en": "Cybersecurity Law",
    "name_zh_hant": "《中華人民共和國網絡安全法》",
    "short_name_zh_hant": "網絡安全法",
    "name_zh_hans": "《中华人民共和国网络安全法》",
    "short_name_zh_hans": "网络安全法",
    "summary_en": (
        "Adopted on 7 November 2016 and in force since 1 June 2017. It makes network operators "
        "verify users' real identities, store personal information and important data inside "
        "China, remove prohibited content, keep logs and assist the security services; the State "
        "Council may restrict networks in a region during major security incidents."
    ),
    "summary_zh_hant": (
        "2016年11月7日通過，2017年6月1日起施行。要求網絡運營者核實用戶真實身份、在境內儲存個人資訊"
        "及重要數據、刪除違禁內容、保存日誌並協助安全機關；國務院可在重大突發事件時限制特定區域的網絡。"
    ),
    "summary_zh_hans": (
        "2016年11月7日通过，2017年6月1日起施行。要求网络运营者核实用户真实身份、在境内存储个人信息"
        "及重要数据、删除违禁内容、保存日志并协助安全机关；国务院可在重大突发事件时限制特定区域的网络。"
    ),
    "source_url": DIGICHINA_CSL,
    "links": [AMNESTY_NZ, AMNESTY_USA],
    "history": [
        ev("draft", "2015-06", MONDAQ_CSL, "First draft", "第一次審議稿", "第一次审议稿"),
        ev("draft", "2016-06", MONDAQ_CSL, "Second draft", "第二次審議稿", "第二次审议稿"),
        ev("draft", "2016-10-31", MONDAQ_CSL, "Third draft", "第三次審議稿", "第三次审议稿"),
        ev("adoption", "2016-11-07", MONDAQ_CSL, "Adopted by the NPC Standing Committee",
           "全國人大常委會通過", "全国人大常委会通过"),
        ev("entry_into_force", "2017-06-01", CJO_CSL, "In force", "施行", "施行"),
    ],
    "provisions": [
        pv("vague_speech_offences", "Art. 12",
           "Bans using networks to endanger national security, incite subversion or separatism, "
           "or spread false information that disturbs economic or social order.",
           "禁止利用網絡危害國家安全、煽動顛覆或分裂國家、散布擾亂經濟或社會秩序的虛假資訊。",
           "禁止利用网络危害国家安全、煽动颠覆或分裂国家、散布扰乱经济或社会秩序的虚假信息。"),
        pv("company_surveillance", "Art. 21",
           "Operators must keep network logs for at least six months.",
           "運營者須保存網絡日誌不少於六個月。", "运营者须保存网络日志不少于六个月。"),
        pv("real_name_registration", "Art. 24",
           "No network access, phone, messaging or publishing service without real identity.",
           "用戶不提供真實身份，不得獲提供入網、電話、即時通訊或發布服務。",
           "用户不提供真实身份，不得获提供入网、电话、即时通讯或发布服务。"),
        pv("government_data_access", "Art. 28",
           "Operators must give technical support and assistance to public and state security "
           "organs.", "運營者須為公安及國家安全機關提供技術支持和協助。",
           "运营者须为公安及国家安全机关提供技术支持和协助。"),
        pv("data_localisation", "Art. 37",
           "Critical infrastructure operators store personal information and important data in "
           "mainland China; transfers abroad need a security assessment.",
           "關鍵資訊基礎設施運營者須在境內儲存個人資訊和重要數據，出境須經安全評估。",
           "关键信息基础设施运营者须在境内存储个人信息和重要数据，出境须经安全评估。"),
        pv("content_removal", "Art. 47",
           "Operators must stop the spread of prohibited information, delete it, keep records and "
           "report it.", "運營者須停止傳輸違禁資訊、刪除、保存記錄並報告。",
           "运营者须停止传输违禁信息、删除、保存记录并报告。"),
        pv("shutdown_blocking", "Art. 50",
           "Authorities may order measures to block prohibited information from outside China.",
           "主管部門可要求採取措施阻斷境外違禁資訊傳播。", "主管部门可要求采取措施阻断境外违禁信息传播。"),
        pv("shutdown_blocking", "Art. 58",
           "The State Council may restrict network communications in a region during major "
           "social security incidents.", "國務院可在處置重大突發社會安全事件時，在特定區域限制網絡通信。",
           "国务院可在处置重大突发社会安全事件时，在特定区域限制网络通信。"),
    ],
}  # fmt: skip

UNCC = {
    "slug": "un-cybercrime-convention",
    "kind": "treaty",
    "jurisdiction": "UN",
    "name_en": (
        "United Nations Convention against Cybercrime; Strengthening International Cooperation "
        "for Combating Certain Crimes Committed by Means of Information and Communications "
        "Technology Systems and for the Sharing of Evidence in Electronic Form of Serious Crimes"
    ),
    "short_name_en": "UN Convention against Cybercrime",
    "name_zh_hant": "聯合國打擊網絡犯罪公約",
    "short_name_zh_hant": "聯合國網絡犯罪公約",
    "name_zh_hans": "联合国打击网络犯罪公约",
    "short_name_zh_hans": "联合国网络犯罪公约",
    "summary_en": (
        "A treaty first proposed by Russia in 2017, negotiated from 2021 in an Ad Hoc Committee "
        "set up by General Assembly resolution 74/247 over the objections of the US, the EU and "
        "rights groups, and adopted by the General Assembly on 24 December 2024. Its powers to "
        "collect and share electronic evidence reach serious crimes well beyond cybercrime."
    ),
    "summary_zh_hant": (
        "俄羅斯於2017年首先提出，2021年起由聯合國大會第74/247號決議設立的特設委員會談判（美國、歐盟及"
        "人權團體曾反對），2024年12月24日獲聯合國大會通過。其收集及分享電子證據的權力涵蓋網絡犯罪以外的"
        "嚴重罪行。"
    ),
    "summary_zh_hans": (
        "俄罗斯于2017年首先提出，2021年起由联合国大会第74/247号决议设立的特设委员会谈判（美国、欧盟及"
        "人权团体曾反对），2024年12月24日获联合国大会通过。其收集及分享电子证据的权力涵盖网络犯罪以外的"
        "严重罪行。"
    ),
    "source_url": UN_79_243,
    "links": [UNODC_AHC, UN_74_247, UN_75_282],
    "history": [
        ev("proposal", "2017-10", UN_RUSSIA_LETTER,
           "Russia circulates a draft UN convention on cooperation in combating information "
           "crimes (A/C.3/72/12)", "俄羅斯向聯合國大會分發打擊資訊犯罪合作公約草案（A/C.3/72/12）",
           "俄罗斯向联合国大会分发打击信息犯罪合作公约草案（A/C.3/72/12）"),
        ev("vote", "2018-12-17", UN_73_187,
           "General Assembly adopts resolution 73/187 on countering criminal use of ICTs",
           "聯合國大會通過第73/187號決議", "联合国大会通过第73/187号决议"),
        ev("vote", "2019-11-18", TASS_3C,
           "Third Committee approves the resolution to start a convention",
           "大會第三委員會通過啟動公約的決議草案", "大会第三委员会通过启动公约的决议草案",
           votes_for=88, votes_against=58, abstentions=34, place="New York"),
        ev("vote", "2019-12-27", SCMP_74_247,
           "General Assembly adopts resolution 74/247 establishing the Ad Hoc Committee",
           "聯合國大會通過第74/247號決議，成立特設委員會", "联合国大会通过第74/247号决议，成立特设委员会",
           votes_for=79, votes_against=60, abstentions=33, place="New York"),
        session("organizational session", "組織會議", "组织会议", "2021-05-10", "2021-05-12",
                "New York", UNODC_AHC),
        ev("vote", "2021-05-26", OPENNET_75_282,
           "General Assembly adopts resolution 75/282 on the committee's modalities",
           "聯合國大會通過第75/282號決議，確定委員會工作方式",
           "联合国大会通过第75/282号决议，确定委员会工作方式"),
        session("first session", "第一屆會議", "第一届会议", "2022-02-28", "2022-03-11",
                "New York", UNODC_AHC),
        consultation("1st", "2022-03-24", "2022-03-25", UNODC_IC1),
        session("second session", "第二屆會議", "第二届会议", "2022-05-30", "2022-06-10", "Vienna",
                UNODC_AHC),
        consultation("2nd", "2022-06-13", "2022-06-14", UNODC_IC2),
        session("third session", "第三屆會議", "第三届会议", "2022-08-29", "2022-09-09",
                "New York", UNODC_AHC),
        consultation("3rd", "2022-11-03", "2022-11-04", UNODC_AHC),
        session("fourth session", "第四屆會議", "第四届会议", "2023-01-09", "2023-01-20", "Vienna",
                UNODC_AHC),
        consultation("4th", "2023-03-06", "2023-03-07", UNODC_AHC),
        session("fifth session", "第五屆會議", "第五届会议", "2023-04-11", "2023-04-21", "Vienna",
                UNODC_AHC),
        consultation("5th", "2023-06-20", "2023-06-21", UNODC_IC5),
        session("sixth session", "第六屆會議", "第六届会议", "2023-08-21", "2023-09-01",
                "New York", UNODC_AHC),
        session("concluding session, suspended without agreement", "閉幕會議（未達成協議而暫停）",
                "闭幕会议（未达成协议而暂停）", "2024-01-29", "2024-02-09", "New York", UNODC_AHC),
        session("reconvened concluding session", "續會閉幕會議", "续会闭幕会议", "2024-07-29",
                "2024-08-09", "New York", UNODC_AHC),
        ev("draft", "2024-08-08", COE_0808, "Ad Hoc Committee agrees the final draft",
           "特設委員會議定最終草案", "特设委员会议定最终草案", place="New York"),
        ev("adoption", "2024-12-24", UNIS_1224,
           "General Assembly adopts the convention without a vote (resolution 79/243)",
           "聯合國大會未經表決通過公約（第79/243號決議）", "联合国大会未经表决通过公约（第79/243号决议）",
           place="New York"),
        ev("signature", "2025-10-25", VNP_HANOI, "Opened for signature",
           "開放簽署", "开放签署", end_date="2025-10-26", place="Hanoi"),
    ],
    "provisions": [
        pv("government_data_access", "Art. 23",
           "Procedural powers reach offences beyond the convention's own and electronic evidence "
           "of any criminal offence.", "程序權力涵蓋公約所列以外的罪行及任何刑事罪行的電子證據。",
           "程序权力涵盖公约所列以外的罪行及任何刑事罪行的电子证据。"),
        pv("government_data_access", "Arts. 29-30",
           "Real-time collection of traffic data and interception of content data.",
           "實時收集流量數據及截取內容數據。", "实时收集流量数据及截取内容数据。"),
        pv("cross_border_data_sharing", "Art. 35",
           "International cooperation to collect and share electronic evidence of any serious "
           "crime, not only cybercrime.", "國際合作收集及分享任何嚴重罪行（不限於網絡犯罪）的電子證據。",
           "国际合作收集及分享任何严重罪行（不限于网络犯罪）的电子证据。"),
    ],
}  # fmt: skip


def response(
    slug: str,
    company: str,
    response: str,
    announced: str,
    source: str,
    en: str,
    hant: str,
    hans: str,
    **more: Any,
) -> dict:
    return {"slug": slug, "company": company, "jurisdiction": "HK", "demand_kind": "user_data",
            "response": response, "announced_on": announced, "source_url": source,
            "summary_en": en, "summary_zh_hant": hant, "summary_zh_hans": hans,
            "instruments": ["hk-national-security-law"], **more}  # fmt: skip


RESPONSES = [
    response("facebook-hk-nsl-pause-2020", "Facebook", "pause", "2020-07-06", LATIMES,
             "Facebook, with WhatsApp and Instagram, paused reviewing Hong Kong government "
             "requests for user data pending a human-rights assessment of the law.",
             "Facebook（連同WhatsApp及Instagram）暫停處理香港政府索取用戶資料的要求，待完成人權評估。",
             "Facebook（连同WhatsApp及Instagram）暂停处理香港政府索取用户资料的要求，待完成人权评估。",
             links=[AP_CBS]),
    response("twitter-hk-nsl-pause-2020", "Twitter", "pause", "2020-07-06", AP_CBS,
             "Twitter paused all data and information requests from Hong Kong authorities from "
             "the day the law took effect, citing grave concerns.",
             "Twitter自法例生效當日起暫停處理香港當局的所有資料要求。",
             "Twitter自法例生效当日起暂停处理香港当局的所有资料要求。",
             effective_from="2020-07-01", links=[LATIMES]),
    response("google-hk-nsl-pause-2020", "Google", "pause", "2020-07-06", LATIMES,
             "Google stopped producing data for new Hong Kong requests when the law took effect; "
             "it kept reviewing content removal requests.",
             "Google自法例生效起停止就香港新要求提供資料，但繼續審視刪除內容要求。",
             "Google自法例生效起停止就香港新要求提供资料，但继续审视删除内容要求。",
             effective_from="2020-07-01"),
    response("telegram-hk-nsl-refuse-2020", "Telegram", "refuse", "2020-07-06", AP_CBS,
             "Telegram said it had never shared data with Hong Kong authorities and would not "
             "process requests about its Hong Kong users until an international consensus.",
             "Telegram表示從未與香港當局分享資料，在國際達成共識前不會處理有關香港用戶的要求。",
             "Telegram表示从未与香港当局分享资料，在国际达成共识前不会处理有关香港用户的要求。"),
    response("microsoft-hk-nsl-pause-2020", "Microsoft", "pause", "2020-07", SILICON,
             "Microsoft said it had paused handling Hong Kong government requests for user data.",
             "Microsoft表示已暫停處理香港政府索取用戶資料的要求。",
             "Microsoft表示已暂停处理香港政府索取用户资料的要求。"),
    response("google-hk-mlat-only-2020", "Google", "refuse", "2020-08", SILICON,
             "Google said it would no longer answer Hong Kong data requests directly, only "
             "through the mutual legal assistance treaty with the US Department of Justice.",
             "Google表示不再直接回應香港的資料要求，只經與美國司法部的司法互助條約處理。",
             "Google表示不再直接回应香港的资料要求，只经与美国司法部的司法互助条约处理。"),
    response("google-hk-transparency-2021", "Google", "publish", "2021-09", SWARAJYA,
             "Google's transparency report showed it produced some data for 3 of 43 Hong Kong "
             "requests in July-December 2020 (an emergency and two trafficking cases with "
             "warrants), none of it content.",
             "Google透明度報告顯示，2020年7至12月曾就43宗香港要求中的3宗提供部分資料（一宗緊急情況及兩宗"
             "附手令的販賣人口案），均不含內容。",
             "Google透明度报告显示，2020年7至12月曾就43宗香港要求中的3宗提供部分资料（一宗紧急情况及两宗"
             "附手令的贩卖人口案），均不含内容。",
             links=[SILICON, GOOGLE_TR]),
]  # fmt: skip


def google_hk(
    start: str,
    end: str,
    source: str,
    requests: int,
    accounts: int | None = None,
    share: float | None = None,
    note: str | None = None,
) -> dict:
    return {"company": "Google", "jurisdiction": "HK", "demand_kind": "user_data",
            "period_start": start, "period_end": end, "requests": requests,
            "accounts_specified": accounts, "complied_share": share, "source_url": source,
            "note": note or "Google Transparency Report, as reported by the source"}  # fmt: skip


FIGURES = [
    google_hk("2012-07-01", "2012-12-31", JMSC_2012, 255),
    google_hk("2014-01-01", "2014-06-30", EJI_2014, 359, 371, 48),
    google_hk("2014-07-01", "2014-12-31", SCMP_2014, 367, 407, 43),
    google_hk("2019-01-01", "2019-12-31", LATIMES, 105),
    google_hk("2020-07-01", "2020-12-31", SWARAJYA, 43, None, 7,
              "Some data produced for 3 of 43 requests (Google Transparency Report, as reported)"),
]  # fmt: skip


def org(name: str, country: str | None = None, group: str | None = None) -> dict:
    out: dict[str, Any] = {"name": name, "kind": "organisation", "country": country}
    if group:
        out["group"] = group
    return out


def person(name: str, affiliation: str, group: str | None = None) -> dict:
    out = {"name": name, "kind": "individual", "affiliation": affiliation}
    if group:
        out["group"] = group
    return out


KEEPITON_HK = {
    "slug": "keepiton-hong-kong-2019",
    "kind": "open_letter",
    "title_en": "#KeepItOn: letter to Hong Kong's Chief Executive against a threatened shutdown",
    "title_zh_hant": "#KeepitOn：維護互聯網開放和安全之連署信",
    "title_zh_hans": "#KeepItOn：维护互联网开放和安全之联署信",
    "date": "2019-09",
    "addressees": ["Carrie Lam, Chief Executive of Hong Kong",
                   "Members of the Executive Council of Hong Kong"],
    "authors": ["Access Now, for the #KeepItOn coalition"],
    "jurisdictions": ["HK"],
    "summary_en": (
        "Twelve #KeepItOn organisations asked the government not to use the colonial-era "
        "Emergency Regulations Ordinance or any other law to censor or cut the internet. They "
        "cited reported DDoS attacks on online communication services, UN Human Rights Council "
        "resolution 32/13, and the cost of shutdowns: US$2.4 billion worldwide in 2015-16 "
        "(Brookings, 2016) and, by the coalition's estimate, up to US$425 million a day in direct "
        "losses for Hong Kong."
    ),
    "summary_zh_hant": (
        "十二個#KeepItOn組織要求政府不要引用殖民地時期的《緊急情況規例條例》或其他法例審查或切斷互聯網。"
        "信中提到針對網上通訊服務的DDoS攻擊報道、聯合國人權理事會第32/13號決議，以及斷網的代價："
        "2015至16年全球損失24億美元（布魯金斯學會，2016年），聯盟估計香港每日直接損失最高4.25億美元。"
    ),
    "summary_zh_hans": (
        "十二个#KeepItOn组织要求政府不要引用殖民地时期的《紧急情况规例条例》或其他法例审查或切断互联网。"
        "信中提到针对网上通讯服务的DDoS攻击报道、联合国人权理事会第32/13号决议，以及断网的代价："
        "2015至16年全球损失24亿美元（布鲁金斯学会，2016年），联盟估计香港每日直接损失最高4.25亿美元。"
    ),
    "outcome_en": (
        "No reply is recorded. On 4 October 2019 the government used the ordinance to ban face "
        "coverings, and an Executive Council member said an internet ban was not ruled out; no "
        "network shutdown was ordered. On 31 October a court granted an interim injunction "
        "against online posts inciting violence, naming LIHKG and Telegram, which the coalition "
        "protested in a second letter on 1 November."
    ),
    "outcome_zh_hant": (
        "未有紀錄顯示政府回覆。2019年10月4日政府引用該條例禁止蒙面，行政會議成員稱不排除禁網，但沒有下令"
        "斷網。10月31日法院頒布臨時禁制令，禁止在連登及Telegram等平台發布煽動暴力的訊息，聯盟於11月1日"
        "再去信抗議。"
    ),
    "outcome_zh_hans": (
        "未有记录显示政府回复。2019年10月4日政府引用该条例禁止蒙面，行政会议成员称不排除禁网，但没有下令"
        "断网。10月31日法院颁布临时禁制令，禁止在连登及Telegram等平台发布煽动暴力的信息，联盟于11月1日"
        "再去信抗议。"
    ),
    "response_received": "unknown",
    "source_url": MOK_LETTER,
    "links": [ACCESSNOW_1101],
    "instruments": ["hk-emergency-regulations-ordinance"],
    "demands": [
        {"text_en": "Drop any plan to use laws that would restrict or cut the internet and other "
                    "communication channels.",
         "text_zh_hant": "放棄任何引用法例限制或切斷互聯網及其他通訊渠道的計劃。",
         "text_zh_hans": "放弃任何引用法例限制或切断互联网及其他通讯渠道的计划。"},
        {"text_en": "Keep internet services, social media included, open and secure.",
         "text_zh_hant": "確保包括社交媒體在內的互聯網服務保持開放和安全。",
         "text_zh_hans": "确保包括社交媒体在内的互联网服务保持开放和安全。"},
        {"text_en": "Commit publicly to protecting the internet, and tell the public promptly of "
                    "any disruption that affects users.",
         "text_zh_hant": "公開承諾保護互聯網，並及時向公眾通報任何影響用戶的網絡中斷。",
         "text_zh_hans": "公开承诺保护互联网，并及时向公众通报任何影响用户的网络中断。"},
        {"text_en": "Encourage telecom and internet companies to disclose the policies and "
                    "practices that affect their users.",
         "text_zh_hant": "鼓勵電訊及互聯網公司公開影響用戶的政策和做法。",
         "text_zh_hans": "鼓励电讯及互联网公司公开影响用户的政策和做法。"},
    ],
    "signatories": [
        org("Access Now", "US"),
        org("Alliance for Affordable Internet (A4AI)"),
        org("Digital Rights Watch", "AU"),
        org("Incarner l'Espoir"),
        org("Internet Freedom Foundation", "IN"),
        org("Internet Sans Frontières", "FR"),
        org("Media Rights Agenda", "NG"),
        org("Sassoufit Collective"),
        org("SMEX", "LB"),
        org("Viet Tan"),
        org("World Wide Web Foundation"),
        org("Xnet", "ES"),
    ],
}  # fmt: skip

ACCREDITED = "NGOs taking part under operative paragraphs 8 or 9 of resolution 75/282"
ADDITIONAL = "Additional signatories"
_ACCREDITED = [
    ("Access Now", "US"), ("Association for Progressive Communications (APC)", None),
    ("ARTICLE 19", "GB"), ("Center for Democracy and Technology", "US"),
    ("CyberPeace Institute", "CH"), ("Data Privacy Brasil", "BR"), ("Derechos Digitales", "CL"),
    ("Electronic Frontier Foundation", "US"), ("Freedom House", "US"),
    ("Global Partners Digital", "GB"), ("Hiperderecho", "PE"), ("Human Rights Watch", "US"),
    ("Instituto Panamericano de Derecho y Tecnología (IPANDETEC)", "PA"),
    ("International Commission of Jurists (ICJ)", "CH"), ("Jokkolabs Banjul", "GM"),
    ("Jonction", "SN"), ("Kenya ICT Action Network (KICTANet)", "KE"),
    ("Privacy International", "GB"), ("R3D: Red en Defensa de los Derechos Digitales", "MX"),
    ("Temple University, Institute for Law, Innovation & Technology (iLIT)", "US"),
]  # fmt: skip
_ADDITIONAL = [
    ("7amleh – The Arab Center for the Advancement of Social Media", None),
    ("ActiveWatch", "RO"), ("Advocacy for Principled Action in Government", "US"),
    ("Afghanistan Journalists Center (AFJC)", "AF"),
    ("Africa Freedom of Information Centre (AFIC)", "UG"), ("AfroLeadership", "CM"),
    ("Albanian Media Institute", "AL"), ("Alliance of Independent Journalists Indonesia (AJI)", "ID"),
    ("Alternatif Bilişim (AiA-Alternative Informatics Association)", "TR"),
    ("Alternative ASEAN Network on Burma (ALTSEAN)", None),
    ("Bahrain Center for Human Rights", "BH"),
    ("Bangladesh NGOs Network for Radio & Communication (BNNRC)", "BD"),
    ("BC Civil Liberties Association (BCCLA)", "CA"), ("Bytes for All", "PK"),
    ("Cambodian Center for Human Rights (CCHR)", "KH"),
    ("Cambodian Center for Independent Media (CCIM)", "KH"),
    ("Cartoonists Rights Network International", None),
    ("Center for Media Freedom and Responsibility", "PH"),
    ("Centre for Feminist Foreign Policy (CFFP)", "DE"), ("Centre for Free Expression (CFE)", "CA"),
    ("Centre for Information Technology and Development (CITAD)", "NG"),
    ("Centre for Independent Journalism (Malaysia)", "MY"), ("Chaos Computer Club (CCC)", "DE"),
    ("Committee to Protect Journalists", "US"), ("Digital Empowerment Foundation", "IN"),
    ("DigitalReach", None), ("Digital Rights Foundation", "PK"), ("Digital Rights Ireland", "IE"),
    ("Digitale Gesellschaft", None), ("Electronic Privacy Information Center (EPIC)", "US"),
    ("epicenter.works – for digital rights", "AT"),
    ("European Center for Not-for-Profit Law (ECNL)", None),
    ("European Digital Rights (EDRi)", "BE"),
    ("European Summer School in Internet Governance (EURO-SSIG)", None),
    ("Federation of Nepali Journalists", "NP"), ("Foundation for Media Alternatives", "PH"),
    ("Fundación Karisma", "CO"), ("Fundación Internet Bolivia", "BO"),
    ("Foundation for Information Policy Research", "GB"), ("Freedom Forum, Nepal", "NP"),
    ("Free Media Movement – Sri Lanka", "LK"), ("Globe International Center", "MN"),
    ("Government Information Watch", "US"), ("Gulf Center for Human Rights (GCHR)", None),
    ("Human Rights Network for Journalists-Uganda (HRNJ-U)", "UG"),
    ("IFoX (Initiative for Freedom of Expression–Turkey)", "TR"),
    ("Independent Journalism Center Moldova", "MD"),
    ("International Civil Liberties Monitoring Group (ICLMG)", "CA"),
    ("International Federation for Human Rights (FIDH)", "FR"),
    ("International Press Institute (IPI)", "AT"), ("International Press Centre (IPC) Lagos", "NG"),
    ("Institute for Research on Internet and Society (IRIS)", "BR"),
    ("Instituto de Pesquisa em Direito e Tecnologia do Recife – IP.rec", "BR"),
    ("Instituto Nupef", "BR"), ("IT-Pol Denmark", "DK"),
    ("Japan Computer Access Network (JCA-NET)", "JP"),
    ("Korean Progressive Network Center – Jinbonet", "KR"),
    ("Laboratory of Public Policy and Internet – LAPIN", "BR"),
    ("LaLibre.net Tecnologías Comunitarias", None), ("Ligue des droits de l'Homme (LDH)", "FR"),
    ("Maharat Foundation", "LB"), ("Media Foundation for West Africa (MFWA)", "GH"),
    ("Media Rights Agenda (MRA)", "NG"), ("Media Institute of Southern Africa (MISA)", None),
    ("Media Policy Institute", "KG"), ("Media Watch", None), ("Metamorphosis Foundation", "MK"),
    ("Mizzima", "MM"), ("OpenMedia", "CA"), ("Pakistan Press Foundation", "PK"),
    ("Palestinian Center for Development & Media Freedoms (MADA)", "PS"),
    ("Paradigm Initiative (PIN)", "NG"), ("PEN International", "GB"), ("Restore the Fourth", "US"),
    ("Social Media Exchange (SMEX)", "LB"), ("SocialTIC", "MX"),
    ("South East Europe Media Organisation (SEEMO)", "AT"),
    ("South East European Network for Professionalization of Media (SEENPM)", None),
    ("Southeast Asia Freedom of Expression Network (SAFEnet)", "ID"), ("Statewatch", "GB"),
    ("Surveillance Resistance Lab", "US"), ("Surveillance Technology Oversight Project (STOP)", "US"),
    ("Syrian Center for Media and Freedom of Expression", None), ("TEDIC", "PY"),
    ("The Tor Project", "US"), ("Unwanted Witness", "UG"),
    ("Vigilance for Democracy and the Civic State", "TN"),
]  # fmt: skip

AMEND_OR_REJECT = {
    "slug": "un-cybercrime-amend-or-reject-2024",
    "kind": "joint_statement",
    "title_en": "Amend or reject: joint statement on the UN Cybercrime Treaty",
    "title_zh_hant": "修訂或否決：關於聯合國網絡犯罪條約的聯合聲明",
    "title_zh_hans": "修订或否决：关于联合国网络犯罪条约的联合声明",
    "date": "2024-01-23",
    "addressees": ["State delegations to the concluding session of the UN Ad Hoc Committee"],
    "authors": [],
    "jurisdictions": ["UN"],
    "summary_en": (
        "Before the Ad Hoc Committee's concluding session, over 100 organisations and experts "
        "asked states to narrow the draft to cybercrime and build in human-rights safeguards, or "
        "else reject it and not send it to the General Assembly."
    ),
    "summary_zh_hant": (
        "在特設委員會閉幕會議前，逾百個組織及專家要求各國把草案收窄至網絡犯罪並加入人權保障，否則應予否決，"
        "不要提交聯合國大會。"
    ),
    "summary_zh_hans": (
        "在特设委员会闭幕会议前，逾百个组织及专家要求各国把草案收窄至网络犯罪并加入人权保障，否则应予否决，"
        "不要提交联合国大会。"
    ),
    "outcome_en": (
        "The concluding session ended on 9 February 2024 without agreement and was suspended. The "
        "reconvened session agreed the text on 8 August 2024 and the General Assembly adopted it "
        "without a vote on 24 December 2024; evidence gathering and sharing still extend to "
        "serious crimes beyond cyber-dependent ones."
    ),
    "outcome_zh_hant": (
        "閉幕會議於2024年2月9日未達成協議而暫停。續會於2024年8月8日議定文本，聯合國大會於2024年12月24日"
        "未經表決通過；收集及分享證據仍涵蓋網絡犯罪以外的嚴重罪行。"
    ),
    "outcome_zh_hans": (
        "闭幕会议于2024年2月9日未达成协议而暂停。续会于2024年8月8日议定文本，联合国大会于2024年12月24日"
        "未经表决通过；收集及分享证据仍涵盖网络犯罪以外的严重罪行。"
    ),
    "response_received": "unknown",
    "source_url": ACCESSNOW_2024,
    "links": [HRW_2024, COE_0808, UNIS_1224],
    "instruments": ["un-cybercrime-convention"],
    "demands": [
        {"text_en": "Limit the whole convention to cyber-dependent crimes defined in its text.",
         "text_zh_hant": "把整份公約限於文本中界定的依賴網絡的犯罪。",
         "text_zh_hans": "把整份公约限于文本中界定的依赖网络的犯罪。", "outcome": "not_met"},
        {"text_en": "Protect security researchers, whistleblowers, journalists and human rights "
                    "defenders from prosecution for legitimate work.",
         "text_zh_hant": "保障安全研究人員、舉報人、記者及人權捍衛者不會因正當工作被檢控。",
         "text_zh_hans": "保障安全研究人员、举报人、记者及人权捍卫者不会因正当工作被检控。"},
        {"text_en": "Apply explicit data-protection and human-rights safeguards, prior judicial "
                    "authorisation included, to the whole convention.",
         "text_zh_hant": "在整份公約適用明確的資料保護及人權保障，包括事先司法授權。",
         "text_zh_hans": "在整份公约适用明确的数据保护及人权保障，包括事先司法授权。"},
        {"text_en": "Mainstream gender throughout the convention.",
         "text_zh_hant": "在整份公約納入性別觀點。", "text_zh_hans": "在整份公约纳入性别观点。"},
        {"text_en": "Limit procedural powers and international cooperation to the "
                    "cyber-dependent crimes of the criminalisation chapter.",
         "text_zh_hant": "把程序權力及國際合作限於刑事定罪章節中依賴網絡的犯罪。",
         "text_zh_hans": "把程序权力及国际合作限于刑事定罪章节中依赖网络的犯罪。",
         "outcome": "not_met"},
        {"text_en": "Endorse no surveillance provision that could undermine cybersecurity and "
                    "encryption.",
         "text_zh_hant": "不認可任何可能削弱網絡安全及加密的監控條文。",
         "text_zh_hans": "不认可任何可能削弱网络安全及加密的监控条文。"},
    ],
    "signatories": [
        *(org(n, c, ACCREDITED) for n, c in _ACCREDITED),
        *(org(n, c, ADDITIONAL) for n, c in _ADDITIONAL),
        person("Douwe Korff", "Emeritus Professor of International Law, London Metropolitan "
               "University", ADDITIONAL),
        person("Valerie Steeves", "Full Professor, Department of Criminology, University of "
               "Ottawa", ADDITIONAL),
        person("Wolfgang Kleinwächter", "Professor Emeritus, University of Aarhus", ADDITIONAL),
    ],
}  # fmt: skip

HRW_LETTER = {
    "slug": "un-cybercrime-ahc-letter-2021",
    "kind": "open_letter",
    "title_en": "Letter to the UN Ad Hoc Committee on cybercrime: civil society and safeguards",
    "title_zh_hant": "致聯合國網絡犯罪特設委員會的信：公民社會參與及人權保障",
    "title_zh_hans": "致联合国网络犯罪特设委员会的信：公民社会参与及人权保障",
    "date": "2021-12-22",
    "addressees": ["Faouzia Boumaiza Mebarki, Chair of the Ad Hoc Committee"],
    "authors": ["Human Rights Watch", "Electronic Frontier Foundation"],
    "jurisdictions": ["UN"],
    "summary_en": (
        "Sent with over 125 organisations and academics before the committee's first session, "
        "as UN human-rights bodies warned that cybercrime laws were being abused worldwide."
    ),
    "summary_zh_hant": "在委員會首屆會議前與逾125個組織及學者聯署發出，其時聯合國人權機構正警告各地濫用網絡犯罪法。",
    "summary_zh_hans": "在委员会首届会议前与逾125个组织及学者联署发出，其时联合国人权机构正警告各地滥用网络犯罪法。",
    "outcome_en": "The first session, planned for January 2022, opened on 28 February 2022.",
    "outcome_zh_hant": "原定2022年1月舉行的首屆會議於2022年2月28日開幕。",
    "outcome_zh_hans": "原定2022年1月举行的首届会议于2022年2月28日开幕。",
    "response_received": "unknown",
    "source_url": HRW_2021,
    "instruments": ["un-cybercrime-convention"],
    "demands": [
        {"text_en": "Let civil society take part fully at every stage of drafting.",
         "text_zh_hant": "讓公民社會全面參與起草的每個階段。",
         "text_zh_hans": "让公民社会全面参与起草的每个阶段。"},
        {"text_en": "Build human-rights safeguards into both the substantive and the procedural "
                    "provisions.",
         "text_zh_hant": "在實體及程序條文中均納入人權保障。",
         "text_zh_hans": "在实体及程序条文中均纳入人权保障。"},
    ],
    "signatories": [org("Human Rights Watch", "US"), org("Electronic Frontier Foundation", "US")],
}  # fmt: skip

ABOUT = {
    "title": "netvigil demo policy dataset",
    "built_from": (
        "Public facts, each record with the URL of a source that states it. Starting points: "
        "Access Now's #KeepItOn letter to Hong Kong's Chief Executive (2019); ARTICLE 19 on "
        "platforms and Hong Kong user-data requests (2020); the Electronic Frontier Foundation's "
        "timeline of the UN cybercrime treaty negotiations; Amnesty International on China's "
        "Cyber Security Law (2016); the 2024 joint statement on the UN Cybercrime Treaty."
    ),
    "generated_by": "scripts/demo_policy_source.py",
}


def main() -> None:
    data = {
        "format": "netvigil-policy",
        "version": 1,
        "about": ABOUT,
        "instruments": [ERO, NSL, CSL, UNCC],
        "responses": RESPONSES,
        "figures": FIGURES,
        "statements": [KEEPITON_HK, AMEND_OR_REJECT, HRW_LETTER],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
