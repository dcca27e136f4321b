"""The API's texts in Chinese and English.

Chinese is the default. By key: `text(key, **values)` in the request's language (see `language`). Keys name
what the text says; the values are formatted in.
"""

from __future__ import annotations

from typing import Any

from services.api.language import Language
from services.api.language import current_language

# key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # reads
    "jobs_listed": ("获取到 {count} 个定时任务", "{count} scheduled jobs"),
    "dependencies_listed": (
        "任务依赖图：{nodes} 个任务，{edges} 条依赖",
        "dependency graph: {nodes} jobs, {edges} dependencies",
    ),
    "job_detail": ("获取任务详情成功", "Job details"),
    "range_inverted": (
        "时间范围无效：开始时间 {since} 晚于结束时间 {until}",
        "Invalid time range: since {since} is after until {until}",
    ),
    "execution_summary": ("获取执行统计成功", "Execution summary"),
    "executions_listed": ("获取到 {count} 条执行记录", "{count} executions"),
    "execution_detail": ("获取执行记录成功", "Execution"),
    "events_listed": ("获取到 {count} 个事件", "{count} events"),
    "history_listed": ("获取到 {count} 条历史记录", "{count} history entries"),
    "execution_stats": ("获取执行统计成功", "Execution statistics"),
    "scheduler_stats": ("获取调度器统计成功", "Scheduler statistics"),
    "statuses_listed": ("获取到 {count} 种执行状态", "{count} execution statuses"),
    # commands: applied (the read models show it) or accepted only
    "paused": ("任务 {job_id} 已暂停", "Job {job_id} paused"),
    "resume_disabled": (
        "任务 {job_id} 因“{reason}”而停用，恢复后每次运行都会失败；确认仍要恢复请加 confirm=true",
        "Job {job_id} is disabled ({reason}): every run would fail. To resume it anyway, confirm=true",
    ),
    "resumed": ("任务 {job_id} 已恢复", "Job {job_id} resumed"),
    "triggered": ("任务 {job_id} 已提交手动执行{suffix}", "Job {job_id} triggered{suffix}"),
    "one_off_scheduled": (
        "任务 {job_id} 已预约于 {run_at} 执行一次{suffix}",
        "Job {job_id} will run once at {run_at}{suffix}",
    ),
    "run_at_past": ("预约时间 {run_at} 不在未来", "run_at {run_at} is not in the future"),
    "run_at_too_far": (
        "预约时间 {run_at} 超过一年之后",
        "run_at {run_at} is more than a year ahead",
    ),
    "forced_suffix": ("（强制执行）", " (forced)"),
    "metadata_updated": ("任务 {job_id} 的元数据已更新", "Metadata of job {job_id} updated"),
    "metadata_nothing": (
        "任务 {job_id} 的元数据没有需要更新的字段",
        "Nothing to update in job {job_id}'s metadata",
    ),
    "cancelled": ("执行 {execution_id} 已取消", "Execution {execution_id} cancelled"),
    "cancel_requested": (
        "执行 {execution_id} 的取消请求已送达，将在任务的下一个检查点停止",
        "Cancel of execution {execution_id} requested: it stops at the job's next check point",
    ),
    "marked_failed": ("执行 {execution_id} 已标记为失败", "Execution {execution_id} marked failed"),
    "deleted": ("执行 {execution_id} 已删除", "Execution {execution_id} deleted"),
    "not_yet_applied": (
        "{what}：已受理，尚未生效，请稍后查看 {location}",
        "{what}: accepted, not yet applied; look at {location} shortly",
    ),
    "what_pause": ("暂停任务 {job_id}", "Pause of job {job_id}"),
    "what_resume": ("恢复任务 {job_id}", "Resume of job {job_id}"),
    "what_trigger": ("手动执行任务 {job_id}{suffix}", "Manual run of job {job_id}{suffix}"),
    "what_metadata": ("更新任务 {job_id} 的元数据", "Metadata update of job {job_id}"),
    "what_cancel": ("取消执行 {execution_id}", "Cancel of execution {execution_id}"),
    "what_mark_failed": ("标记执行 {execution_id} 为失败", "Marking execution {execution_id} failed"),
    "what_delete": ("删除执行 {execution_id}", "Deletion of execution {execution_id}"),
    # errors
    "job_not_found": ("任务 {job_id} 不存在", "Job {job_id} does not exist"),
    "execution_not_found": ("执行记录 {execution_id} 不存在", "Execution {execution_id} does not exist"),
    "cancel_not_in_progress": (
        "只能取消排队中或运行中的执行（当前状态: {status}）",
        "Only a queued or running execution can be cancelled (its status: {status})",
    ),
    "mark_failed_ended": (
        "执行已结束（状态: {status}），无需标记失败",
        "The execution has ended ({status}); there is nothing to mark failed",
    ),
    "delete_in_progress": (
        "执行正在进行中（状态: {status}），请先取消或标记失败后再删除",
        "The execution is in progress ({status}): cancel it or mark it failed before deleting it",
    ),
    "default_failure_reason": ("用户手动标记为失败", "Marked failed by hand"),
    "bus_unavailable": (
        "消息总线不可用，命令未发送，请稍后重试",
        "The message bus is unavailable: the command was not sent, try again later",
    ),
    "store_unavailable": ("存储不可用，请稍后重试", "The store is unavailable, try again later"),
    "stream_unavailable": (
        "实时事件流暂不可用（消息总线未连接）",
        "The live stream is unavailable (the message bus is not connected)",
    ),
    "run_logs_listed": ("获取到 {count} 行运行日志", "{count} run log line(s)"),
    "run_logs_unavailable": (
        "运行日志存储未配置",
        "The run-log store is not configured in this process",
    ),
    "stream_overflow": ("客户端处理过慢，请重新连接", "The client reads too slowly: reconnect"),
    "invalid_parameters": ("参数无效", "Invalid parameters"),
    "body_too_large": ("请求体过大（上限 {limit} 字节）", "Request body too large (limit {limit} bytes)"),
    "where_query": ("查询参数", "query parameter"),
    "where_path": ("路径参数", "path parameter"),
    "where_body": ("请求体", "body"),
    "where_header": ("请求头", "header"),
    "where_form": ("表单", "form field"),
    # health
    "health_ok": ("调度器运行正常", "The scheduler is running normally"),
    "health_stopped": ("调度器未运行", "The scheduler is not running"),
    "health_degraded": ("调度器运行降级", "The scheduler is degraded"),
    "reason_stopped": ("调度器已停止", "the scheduler is stopped"),
    "reason_never_heard": ("调度器服务从未上报心跳", "the scheduler service never sent a heartbeat"),
    "reason_no_heartbeat": (
        "调度器服务无心跳（已停止或失联）",
        "no heartbeat from the scheduler service (stopped or unreachable)",
    ),
    "reason_standby_only": (
        "仅有备用调度器实例在线（没有主实例）",
        "only standby scheduler instances are online (no leader)",
    ),
    "reason_paused": ("调度器已暂停", "the scheduler is paused"),
    "reason_bus_down": ("消息总线未连接", "the message bus is not connected"),
    "reason_projector_lag": ("读模型投影落后 {seconds:.0f} 秒", "the read models are {seconds:.0f} s behind"),
    # jobs as data
    "kinds_listed": ("获取到 {count} 种任务类型", "{count} job kinds"),
    "job_definition": (
        "任务 {job_id} 的定义（版本 {version}）",
        "Definition of job {job_id} (version {version})",
    ),
    "job_created": ("任务 {job_id} 已创建", "Job {job_id} created"),
    "job_exists_same": ("任务 {job_id} 已存在，定义相同", "Job {job_id} exists with this definition"),
    "job_exists_other": (
        "任务 {job_id} 已存在且定义不同（修改请用 PATCH）",
        "Job {job_id} exists with another definition (use PATCH to change it)",
    ),
    "too_many_jobs": ("任务数量已达上限 {count}，请先删除任务", "At most {count} jobs: delete one first"),
    "job_changed": ("任务 {job_id} 已修改（版本 {version}）", "Job {job_id} changed (version {version})"),
    "job_unchanged": ("任务 {job_id} 没有变化", "Job {job_id}: nothing changes"),
    "job_stale": (
        "任务 {job_id} 已被修改（当前版本 {version}），请重新读取后再改",
        "Job {job_id} changed since (now version {version}): read it again",
    ),
    "job_deleted": ("任务 {job_id} 已删除", "Job {job_id} deleted"),
    "catalogue_not_deletable": (
        "任务 {job_id} 是内置任务，不能删除：请暂停它",
        "Job {job_id} is a catalogue job and cannot be deleted: pause it instead",
    ),
    "job_running": (
        "任务 {job_id} 有 {count} 个运行中的执行；加 cancel_running=true 一并取消",
        "Job {job_id} has {count} run(s) in flight; add cancel_running=true to cancel them",
    ),
    "job_reset": ("任务 {job_id} 已恢复内置默认值", "Job {job_id} reset to its catalogue defaults"),
    "not_catalogue": ("任务 {job_id} 不是内置任务，无默认值可恢复", "Job {job_id} is not a catalogue job"),
    "what_create": ("创建任务 {job_id}", "Creation of job {job_id}"),
    "what_change": ("修改任务 {job_id}", "Change of job {job_id}"),
    "what_delete_job": ("删除任务 {job_id}", "Deletion of job {job_id}"),
    "what_reset": ("恢复任务 {job_id} 的默认值", "Reset of job {job_id}"),
    # bulk actions
    "bulk_started": (
        "批量操作 {operation_id} 已开始：选中 {selected} 条，将处理 {to_send} 条，"
        "跳过 {skipped} 条{skip_note}；进度见 {location}",
        "Bulk operation {operation_id} started: {selected} selected, {to_send} to handle, {skipped} skipped"
        "{skip_note}; progress at {location}",
    ),
    "bulk_skip_active": ("（仍在排队或运行中）", " (still queued or running)"),
    "bulk_skip_ended": ("（已结束）", " (already ended)"),
    "bulk_progress": (
        "批量操作 {operation_id}：已发送 {sent}/{to_send}（{state}）",
        "Bulk operation {operation_id}: {sent} of {to_send} sent ({state})",
    ),
    "bulk_not_found": (
        "批量操作 {operation_id} 不存在（从未开始，或早已结束：只保留最近 100 个；"
        "用同一 operation_id 重新提交即可）",
        "Bulk operation {operation_id} is unknown (never started, or ended long ago: the newest 100 are "
        "kept; re-send it with the same operation_id to carry it on)",
    ),
    "bulk_too_large": (
        "选中的执行记录过多：{total} 条，单次批量操作最多 {limit} 条，请缩小筛选范围",
        "Too many executions selected: {total}, at most {limit} per bulk operation; narrow the filter",
    ),
    "bulk_busy": (
        "同时进行的批量操作已达上限（{limit} 个），请稍后重试",
        "Too many bulk operations running at once (at most {limit}); try again shortly",
    ),
    # backfills
    "backfill_bad_date": (
        "{field} 不是 YYYY-MM-DD 日期：{value!r}",
        "{field} is not a YYYY-MM-DD date: {value!r}",
    ),
    "backfill_no_range": (
        "任务 {job_id}（{kind}）不接受日期范围，不能补数",
        "Job {job_id} ({kind}) does not take a date range: it cannot be backfilled",
    ),
    "backfill_reversed": (
        "end_date {end} 早于 start_date {start}",
        "end_date {end} is before start_date {start}",
    ),
    "backfill_too_long": (
        "补数范围 {start}..{end} 超过十年",
        "The range {start}..{end} is longer than ten years",
    ),
    "backfill_parallel": (
        "max_parallel {value} 超出范围（1 到 {limit}）",
        "max_parallel {value} is out of range (1 to {limit})",
    ),
    "backfill_unknown_years": (
        "交易日历不包含 {years} 年，无法确定交易日",
        "The trading calendar does not know {years}: its trading days cannot be told",
    ),
    "backfill_no_trading_day": (
        "{start}..{end} 之间没有交易日",
        "There is no trading day in {start}..{end}",
    ),
    "backfill_too_many": (
        "进行中的补数已达上限（{limit} 个），请等待或取消一个",
        "{limit} backfills are active, the limit: wait for one to finish or cancel one",
    ),
    "backfill_requested": (
        "任务 {job_id} 的补数 {backfill_id} 已提交：{days} 个交易日",
        "Backfill {backfill_id} of job {job_id} requested: {days} trading days",
    ),
    "backfill_exists": (
        "同一请求的补数 {backfill_id} 已存在",
        "Backfill {backfill_id} exists for this very request",
    ),
    "backfill_not_found": ("补数 {backfill_id} 不存在", "Backfill {backfill_id} is unknown"),
    "backfill_ended": (
        "补数 {backfill_id} 已结束（{status}）",
        "Backfill {backfill_id} has ended ({status})",
    ),
    "backfill_cancel_requested": ("补数 {backfill_id} 已取消", "Backfill {backfill_id} cancelled"),
    "backfill_detail": ("获取补数详情成功", "Backfill"),
    "backfills_listed": ("获取到 {count} 个补数", "{count} backfills"),
    "what_backfill": ("补数 {backfill_id}", "backfill {backfill_id}"),
    # sign-in and tokens (`auth_errors`)
    "bad_credentials": ("用户名或密码错误", "Invalid username or password"),
    "no_token": (
        "未提供认证令牌（需要 Authorization: Bearer <token>）",
        "No token (send Authorization: Bearer <token>)",
    ),
    "bad_token": ("认证令牌无效或已过期", "The token is invalid or has expired"),
    "revoked": ("认证令牌已被撤销，请重新登录", "The token has been revoked; please sign in again"),
    "inactive": ("用户不存在或已停用", "The user does not exist or is disabled"),
    "bad_refresh": ("刷新令牌无效或已过期，请重新登录", "The refresh token is invalid or has expired"),
    "refresh_reused": (
        "刷新令牌已被使用过：为安全起见，该登录的所有令牌均已撤销，请重新登录",
        "The refresh token was already used: every token of this sign-in is now revoked; sign in again",
    ),
    "forbidden": ("需要管理员权限", "Admin rights are needed"),
    "too_many_logins": (
        "登录尝试过于频繁，请 {retry_after} 秒后再试",
        "Too many sign-in attempts; retry in {retry_after} s",
    ),
    "busy": ("服务器繁忙，请稍后重试", "The server is busy; please retry shortly"),
    "bad_login_body": (
        "请求体应为 JSON 对象或表单（登录：username、password；刷新：refresh_token）",
        "The body must be a JSON object or a form (sign-in: username, password; refresh: refresh_token)",
    ),
    "bad_login_fields": ("请求体字段缺失或无效：{fields}", "Missing or invalid fields in the body: {fields}"),
    "local_login_off": (
        "本服务使用平台的登录（SCHEDULER_AUTH_MODE=platform），请通过平台登录",
        "This service uses the platform's sign-in (SCHEDULER_AUTH_MODE=platform)",
    ),
    "too_many_streams": (
        "实时事件流连接过多（上限 {limit}），请关闭其他页面后重试",
        "Too many live-stream connections (limit {limit}); close other pages and retry",
    ),
    # alerts
    "incidents_listed": ("获取到 {count} 个告警事件", "{count} incidents"),
    "incident_detail": ("获取告警事件成功", "Incident"),
    "incident_not_found": ("告警事件 {incident_id} 不存在", "incident {incident_id} not found"),
    "incident_resolved": (
        "告警事件 {incident_id} 已恢复，无需确认",
        "incident {incident_id} is resolved already",
    ),
    "acknowledged": ("已确认告警事件", "Incident acknowledged"),
    "silences_listed": ("获取到 {count} 个静默", "{count} silences in force"),
    "silenced": ("已静默，至 {until}", "Silenced until {until}"),
    "silence_not_found": ("静默 {silence_id} 不存在或已结束", "silence {silence_id} not found or over"),
    "unsilenced": ("已结束静默", "Silence ended"),
    "alert_rules": ("获取告警规则成功", "Alert rules"),
    "alert_rules_updated": ("告警规则已更新", "Alert rules updated"),
    "channel_test_sent": ("测试消息已发送", "Test message sent"),
    "channel_test_failed": ("测试消息发送失败：{error}", "Test message failed: {error}"),
    "channel_test_pending": (
        "测试消息已提交，尚无结果，见 {location}",
        "Test message requested, no outcome yet: see {location}",
    ),
    # trigger previews
    "preview_described": ("触发器预览：{description}", "Trigger preview: {description}"),
    "preview_next_runs": (
        "任务 {job_id} 接下来的 {count} 次执行时间",
        "Next {count} run times of job {job_id}",
    ),
    "preview_not_possible": (
        "任务 {job_id} 的触发器 {trigger} 无法预览",
        "The trigger {trigger} of job {job_id} cannot be previewed",
    ),
    "preview_unknown_timezone": ("未知时区：{zone}", "unknown timezone: {zone}"),
    "preview_trading_days_only": (
        "{description}（仅 {calendar} 交易日）",
        "{description} (trading days of {calendar} only)",
    ),
    "preview_calendar_missing_years": (
        "交易日历 {calendar} 尚无 {years} 年的数据：该年的执行时间不予推测，"
        "在日历同步补齐之前这些日子不会执行",
        "The trading calendar {calendar} does not know {years} yet: run times in that year are not guessed, "
        "and the job does not run on those days until the calendar sync adds the year",
    ),
}


def text(key: str, language: Language | None = None, **values: Any) -> str:
    """The text of `key` in `language` (default: the request's), with `values` formatted in."""
    chinese, english = MESSAGES[key]
    template = english if (language or current_language()) == "en" else chinese
    return template.format(**values) if values else template
