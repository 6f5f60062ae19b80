"""简体中文文案 (the default language)."""

STATES = {
    "reported": "待接单", "claimed": "已接单", "deliberating": "协商中", "decided": "已形成方案",
    "in_progress": "办理中", "resolved": "已办结", "closed": "已归档", "reopened": "已重新打开",
    "converted": "已转化", "rejected": "不予受理", "withdrawn": "已撤回",
}
SIZES = {"small": "小事", "big": "大事", "urgent": "急事"}
RATINGS = {"satisfied": "满意", "basically": "基本满意", "dissatisfied": "不满意"}
ROLES = {"resident": "居民", "member": "委员", "coordinator": "召集人", "admin": "管理员"}
ACTIONS = {
    "claim": "接单", "size": "定级", "category": "改分类", "deliberate": "发起协商", "decide": "记录方案",
    "assign": "指派", "progress": "记录进展", "resolve": "办结", "close": "归档", "reopen": "重新打开",
    "survey_reopen": "重新打开", "convert": "转化", "reject": "不予受理", "withdraw": "撤回",
    "support": "附议", "comment": "评论", "vote": "投票", "handoff": "转交部门", "escalate": "向上反映",
}
JOBS = {
    "poll_close": "协商截止", "poll_reminder": "投票提醒", "survey_send": "发送满意度评价",
    "survey_reminder": "评价提醒", "survey_close": "评价结束", "digest": "每日汇总",
}
KINDS = {"proposal": "提案", "report": "社情民意"}

POSITIONS = {"support": "（支持）", "neutral": "（中立）", "oppose": "（反对）", "": ""}

TEXTS = {
    # refusals and errors
    "refused.role": "⛔ 只有{role_name}可以{action_name}。",
    "refused.state": "⚠️ #{number} 目前「{state_name}」，不能{action_name}。",
    "refused.no_such": "⚠️ 没有找到 #{number}，请核对编号（发送 /mine 查看您的事项）。",
    "refused.need_number": "⚠️ 请写上事项编号，例如：{example}",
    "refused.need_text": "⚠️ 内容不能为空，例如：{example}",
    "refused.empty_report": "⚠️ 请在标签后写明要反映的事情，例如：#报事 3栋门口路灯坏了一周了",
    "refused.unknown_command": "🤔 没有「/{name}」这个命令。发送 /help 查看可用命令。",
    "refused.private_grid": "⚠️ 不知道这件事属于哪个网格。请在所在网格群里报事，或在内容前写上网格名，例如：/report {example_grid} 3栋门口路灯坏了",
    "refused.conflict": "⚠️ 刚刚有人同时处理了这件事，您的操作没有生效。请发送 /status 查看最新状态后再试。",
    "refused.own_concern": "您就是 #{number} 的报事人，不需要附议。",
    "refused.already_supported": "您已附议过 #{number}，现有 {count} 人反映。",
    "refused.bad_size": "⚠️ 请写明大小：小事、大事或急事，例如：/size {number} 大事",
    "refused.bad_category": "⚠️ 没有这个分类。可选：{categories}",
    "refused.big_needs_poll": "⚠️ #{number} 是大事，须先经委员会协商（/deliberate {number}）再记录方案。",
    "refused.poll_open": "⚠️ #{number} 的协商投票尚未结束（截止 {deadline}），召集人可提前结束。",
    "refused.no_poll": "⚠️ #{number} 目前没有进行中的协商投票。",
    "refused.poll_closed": "⚠️ #{number} 的投票已于 {deadline} 截止，不能再投。",
    "refused.bad_option": "⚠️ 请写选项编号 1–{count}，例如：/vote {number} 1",
    "refused.one_option": "⚠️ 这次投票只能选一项。",
    "refused.bad_deadline": "⚠️ 看不懂截止时间「{value}」。可写 48h、3天、30分钟 或 2026-03-05 18:00。",
    "refused.deadline_past": "⚠️ 截止时间必须晚于现在。",
    "refused.options_count": "⚠️ 选项需要 2–10 个，用 / 分隔，例如：同意/反对/再议。",
    "refused.no_member": "⚠️ 没有找到委员「{handle}」。",
    "refused.not_member": "⚠️ {name} 不是委员，不能被指派办理。",
    "refused.need_department": "⚠️ 请写明部门，例如：{example}",
    "refused.not_invited": "⚠️ 您不在 #{number} 的评价名单中（只有报事人和附议人可以评价）。",
    "refused.no_survey": "⚠️ #{number} 目前没有进行中的满意度评价。",
    "refused.bad_rating": "⚠️ 请选择：1 满意、2 基本满意、3 不满意，例如：/survey {number} 1",
    "refused.need_reason": "⚠️ 不满意请说明原因，方便我们重新办理，例如：/survey {number} 3 路灯修好两天又坏了",
    "refused.bad_kind": "⚠️ 请写明转化为「提案」还是「社情民意」，例如：/convert {number} 提案 加装电梯的建议",
    "refused.not_reporter": "⚠️ 只有报事人本人或召集人可以撤回 #{number}。",
    "error.apology": "😥 抱歉，处理您的消息时出了问题，这次操作没有生效。问题已记录，请稍后再发一次。",

    # report and support
    "report.ack": "📝 已登记 #{number}【{category}】{grid}\n{summary}\n其他居民可回复「+1」或发送 /support {number} 附议；发送 /status {number} 查看进度。",
    "report.ack_anonymous": "📝 已匿名登记 #{number}【{category}】{grid}\n{summary}\n您的身份只有召集人能看到。办理进展和满意度评价会私信发给您。",
    "report.ack_anonymous_group": "📝 已登记 #{number}【{category}】{grid}\n{summary}\n委员会和台账里不会显示您的名字；但群里这条消息大家都看得到，下次想匿名请私聊机器人发送 /report 匿名 内容。",
    "report.grid_notice": "📢 居民反映 #{number}【{category}】\n{summary}\n回复「+1」或 /support {number} 附议。",
    "report.card": "🆕 新报事 #{number}【{category}·{size}】{grid}\n{summary}\n地点：{location}　报事人：{reporter}\n接单 /claim {number}　定级 /size {number} 小事|大事|急事",
    "support.folded": "👍 这件事已有人反映：已附议 #{number}，现有 {count} 人反映。办理进展会私信告知您。",
    "report.again": "📌 您已经反映过这件事（#{number}，{state}），我们在跟进，有进展会告诉您。",
    "refused.media_only": "📷 收到图片啦，不过机器人看不懂图片。请用文字说明是什么事、在哪里，例如：#报事 3栋门口路灯坏了（图片可以一起发）。",
    "refused.edit_too_late": "⚠️ #{number} 已经{state_name}，修改原消息不会再更新事项。有补充请回复事项消息。",
    "report.edited": "✏️ 已按您修改后的内容更新 #{number}【{category}】\n{summary}",
    "refused.flood": "⚠️ 一分钟内最多报 {limit} 件事，请稍后再发；已登记的不受影响。",
    "support.ack": "👍 已附议 #{number}，现有 {count} 人反映。办理进展会私信告知您。",

    # committee work
    "claim.reply": "✋ 您已接单 #{number}。小事可直接 /decide {number} 方案；大事请 /deliberate {number} 发起协商。",
    "claim.inform": "✋ #{number} 已由委员 {member} 接单，正在跟进。",
    "size.reply": "📏 #{number} 定为「{size}」。",
    "size.urgent_alert": "🚨 急事 #{number}【{category}】{grid}\n{summary}\n请尽快处理（急事速议）。",
    "category.reply": "🏷 #{number} 分类改为「{category}」。",
    "deliberate.card": "🗳 协商 #{number}：{question}\n{options}\n截止 {deadline}，需至少 {quorum} 人投票（委员共 {electorate} 人）。\n投票：/vote {number} 选项号{multiple_hint}",
    "deliberate.multiple_hint": "（可多选，用逗号分隔，如 /vote {number} 1,3）",
    "deliberate.inform": "🗳 #{number} 已提交委员会协商，{deadline} 前形成意见后告知大家。",
    "vote.recorded": "✅ 已记录您对 #{number} 的投票：{choice}。截止（{deadline}）前可以改。",
    "vote.retracted": "↩️ 已撤回您对 #{number} 的投票。",
    "vote.changed": "✅ 您对 #{number} 的投票已改为：{choice}。",
    "poll.reminder": "⏰ #{number} 的协商将于 {deadline} 截止，您还没有投票：/vote {number} 选项号\n{question}\n{options}",
    "poll.result": "🗳 #{number} 协商结束（{voters}/{electorate} 人投票，达到法定人数 {quorum}）：\n{tally}\n结果：{winner}。请接单委员 /decide {number} 方案内容 记录方案。",
    "poll.no_quorum": "⚠️ #{number} 协商未达法定人数（{voters}/{electorate} 人投票，需要 {quorum}）：\n{tally}\n已退回召集人，可重新发起协商或另行处理。",
    "poll.no_quorum_inform": "🗳 #{number} 委员会协商未达法定人数，已退回召集人另行安排，有结果会告知大家。",
    "poll.tie": "平票：{options}",
    "poll.default_question": "是否同意接单委员提出的处理意见？",
    "poll.inform": "🗳 #{number} 委员会协商已结束，多数意见：{winner}。",
    "decide.inform": "📋 #{number} 已形成方案：{plan}{vote}",
    "decide.vote_summary": "\n（协商结果：{tally}）",
    "assign.private": "📌 您被指派办理 #{number}【{category}】{grid}\n{summary}\n方案：{plan}\n有进展请发 /progress {number} 内容，办完请发 /resolve {number} 说明。",
    "assign.inform": "👷 #{number} 由委员 {member} 负责办理（委员出力）。",
    "handoff.inform": "🏢 #{number} 已转交「{department}」办理（部门助力）。",
    "escalate.inform": "⬆️ #{number} 已向「{department}」反映（向上借力）。",
    "progress.inform": "🔧 #{number} 办理进展：{note}",
    "resolve.inform": "✅ #{number} 已办结：{note}\n之后会请报事人和附议人评价是否满意。",
    "reopen.inform": "🔁 #{number} 已重新打开：{reason}",
    "reject.inform": "🚫 #{number} 不予受理：{reason}",
    "withdraw.inform": "↩️ #{number} 已由报事人撤回。",
    "convert.inform": "📜 #{number} 已转化为{kind}：{title}",
    "comment.ack": "💬 已记为 #{number} 的意见{position}。",

    # surveys
    "survey.ask": "📝 #{number}「{summary}」已办结。您满意吗？\n/survey {number} 1 满意　/survey {number} 2 基本满意　/survey {number} 3 不满意（请附原因）\n{closes_hint}",
    "survey.closes_hint": "评价截至 {deadline}。",
    "survey.reminder": "⏰ 提醒：#{number}「{summary}」的满意度评价还没有收到您的回复：/survey {number} 1|2|3",
    "survey.thanks": "🙏 感谢您对 #{number} 的评价：{rating}。",
    "survey.reopened": "🔁 #{number} 有居民不满意，已重新打开：{reason}",
    "survey.closed": "🗂 #{number} 评价期结束，已归档（满意 {satisfied}、基本满意 {basically}、不满意 {dissatisfied}）。",
    "survey.closed_by_reporter": "🗂 #{number} 报事人评价「{rating}」，已归档。",

    # status and lists
    "status.head": "#{number}【{category}·{size}】{grid}｜{state}\n{summary}",
    "status.reporter": "报事人：{reporter}",
    "status.supports": "附议：{count} 人",
    "status.claimed": "接单：{member}",
    "status.assigned": "办理：{who}",
    "status.plan": "方案：{plan}",
    "status.poll": "协商：{tally}（截止 {deadline}）",
    "status.notes": "最新进展：{note}",
    "status.comments": "意见：{count} 条",
    "mine.sent_privately": "📬 已私信发给您。",
    "mine.head": "您的事项：",
    "mine.none": "您还没有报过事或附议。报事请发：#报事 内容",
    "mine.line": "#{number} {state}｜{summary}{role}",
    "mine.role_supported": "（附议）",
    "mine.role_claimed": "（接单）",
    "anonymous": "匿名",
    "anonymous_for_coordinator": "匿名（{name}，仅召集人可见）",
    "nobody": "—",

    # digest
    "digest.head": "📊 每日汇总 {date}{late}",
    "digest.late": "（补发）",
    "digest.body": "{body}",
    "digest.quiet": "📊 {date}：昨日无新报事、无到期协商、无不满意评价（在办 {open} 件）。",
    "digest.new": "新报事 {count} 件：{by_grid}",
    "digest.open": "在办：待接单 {reported}，协商中 {deliberating}，办理中 {in_progress}，重新打开 {reopened}",
    "digest.closing": "今日截止的协商：{items}",
    "digest.dissatisfied": "不满意：{items}",
    "digest.unreachable": "无法送达（机器人被移出群或被屏蔽）：{items}",
    "digest.more": "等 {count} 件",

    "job.failed": "⚠️ 定时任务「{job}」（{number}）执行失败，已记录在日志里，请检查并手动处理。",

    "card.committee": "📋 #{number}【{category}·{size}】{grid}｜{state}\n{summary}\n地点：{location}　报事人：{reporter}　{supports} 人反映　接单：{claimed}",
    "card.grid": "📝 #{number}【{category}】{grid}｜{state}\n{summary}\n现有 {supports} 人反映。回复「+1」或 /support {number} 附议。",
    "start.report": "🤫 在这里报事只有召集人能看到您是谁。请发送：/report 匿名 要反映的事情（例如：/report 匿名 5栋楼道有人飞线充电）",

    # buttons
    "button.support": "附议 +1",
    "button.status": "查看进度",
    "button.claim": "接单",
    "button.deliberate": "发起协商",
    "button.private": "🤫 私聊匿名反映",

    # help
    "help.resident": "🤝 有事好商量 — 居民可用：\n#报事 内容　登记一件事（也可 /report 内容；私聊 /report 匿名 内容 可匿名）\n/support 编号 或回复「+1」　附议\n/status 编号　查看进度\n/mine　我的事项\n/survey 编号 1|2|3 [原因]　满意度评价（1 满意 2 基本满意 3 不满意）\n/withdraw 编号　撤回自己的报事",
    "help.member": "委员可用：\n/claim 编号　接单\n/size 编号 小事|大事|急事　定级（也可 /小事 编号）\n/category 编号 分类　改分类\n/deliberate 编号 [问题] [选项1/选项2] [48h]　发起协商\n/vote 编号 选项号　投票（截止前可改）\n/comment 编号 [支持：|反对：|中立：]内容　发表意见（也可直接回复事项消息）\n/decide 编号 方案　记录方案\n/assign 编号 @委员 | /handoff 编号 部门 | /escalate 编号 单位　办理分工\n/progress 编号 内容　记录进展\n/resolve 编号 说明　办结",
    "help.coordinator": "召集人可用：\n/reopen 编号 原因　重新打开\n/reject 编号 原因　不予受理\n/convert 编号 提案|社情民意 标题　转化",
}
