"""Version 1 of the call scripts, from the studio's own duty document (seed L32-L38).

The data migration installs them; `script_latest` falls back to them for a purpose that has
no saved version (a new purpose, or a database emptied by a test).
"""

OPENING = "您好，我是{store}的{specialist}，请问您是{customer}{title}吗？打扰您了。"
CLOSE_OK = "感谢您的答复，您如果需要什么帮助，可随时跟我们取得联系，祝您生活愉快，再见！"
CLOSE_BAD = ("非常谢谢您的反馈，这一点我们的确做得不够，我们很快就会有改进，希望您监督，"
             "祝您生活愉快，再见！")
ASK_OK = "您对我们的服务有什么建议吗？"
ASK_BAD = "能否告诉我您对哪方面不满意？我们应改进哪方面的工作？如有需要，我可以马上为您登记投诉。"

SCRIPTS = {
    "post_service": "感谢您在{date}接受了我们{store}的{service}服务，请问您对这次{service}服务满意吗？",
    "holiday": "节日快到了，{store}全体员工祝您节日快乐！请问您对我们之前的服务还满意吗？",
    "anniversary": "{store}店庆期间为老客户准备了专属优惠，想跟您分享一下。请问您对我们之前的服务满意吗？",
    "promotion": "{store}近期有一个优惠活动，想邀请您了解一下。请问您对我们之前的服务满意吗？",
    "renewal": "您的会员卡快到期了，友情提醒您续卡，续卡可继续享受会员积分和优惠。请问您对我们的服务满意吗？",
    "upgrade": "根据您的消费，您可以升级为更高等级的会员卡，享受更多优惠。请问您对我们的服务满意吗？",
    "reminder": "提醒您明天在{store}的{service}预约，请按时到店，记得带好需要的物品。请问时间上还方便吗？",
    "greeting": "您预约的拍摄还有一周，{store}想问候一下您，看看您对拍摄还有什么想法或需要准备的吗？",
    "walkout": "感谢您前几天光临{store}，想了解一下您对我们的套系还有什么疑问，我们可以为您再做介绍。",
    "complaint": "关于您之前反映的问题，我们已经处理完毕，想回访一下您对处理结果是否满意？",
}


def default_script_texts(purpose: str) -> dict[str, str]:
    return {"opening": OPENING, "question": SCRIPTS[purpose], "satisfied_followup": ASK_OK,
            "unsatisfied_followup": ASK_BAD, "satisfied_closing": CLOSE_OK,
            "unsatisfied_closing": CLOSE_BAD}
