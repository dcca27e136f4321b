// Labels in Chinese (the users' language, the default) and English; `t(key, params)` with {name} slots.

const zh = {
  'app.title': '定时任务管理',
  'nav.overview': '总览', 'nav.runs': '执行记录', 'nav.skip': '跳到主要内容',
  'auth.title': '登录', 'auth.hint': '使用调度服务的账号登录', 'auth.username': '用户名', 'auth.password': '密码',
  'auth.submit': '登录', 'auth.logout': '退出', 'auth.expired': '登录已失效，请重新登录', 'auth.signed_out_elsewhere': '已在另一个标签页退出登录',
  'auth.required': '请输入用户名和密码', 'auth.admin': '管理员', 'auth.viewer': '只读用户',
  'auth.me_missing': '无法确认账号角色（缺少 /api/auth/me），按只读用户显示',
  'stream.connecting': '正在连接实时事件…', 'stream.live': '实时', 'stream.down': '实时连接已断开，正在重连…',
  'stream.resynced': '实时连接已恢复，数据已刷新',
  'tz': '时区 {offset}',
  'stats.total': '任务总数', 'stats.enabled': '已启用', 'stats.paused': '已暂停', 'stats.in_progress': '进行中的执行',
  'stats.health': '调度器', 'health.healthy': '健康', 'health.degraded': '降级', 'health.stopped': '已停止',
  'health.unknown': '未知', 'health.heartbeat': '最近心跳 {time}',
  'jobs.title': '定时任务', 'jobs.search': '搜索名称、ID、描述…', 'jobs.source': '数据源', 'jobs.state': '状态',
  'jobs.all_sources': '全部数据源', 'jobs.all_states': '全部状态', 'jobs.empty': '没有匹配的任务',
  'col.job': '任务', 'col.display_name': '显示名称', 'col.trigger': '触发规则', 'col.description': '描述',
  'col.next_run': '下次运行', 'col.state': '状态', 'col.last_run': '最近运行', 'col.source': '数据源',
  'col.actions': '操作', 'col.run': '执行', 'col.status': '状态', 'col.mode': '方式', 'col.created': '创建时间',
  'col.started': '开始', 'col.duration': '耗时', 'col.progress': '进度',
  'source.tushare': 'Tushare', 'source.akshare': 'AKShare', 'source.baostock': 'BaoStock',
  'source.multi': '多数据源', 'source.other': '其他',
  'state.enabled': '已启用', 'state.paused': '已暂停', 'state.paused_by': '由 {actor} 暂停',
  'resume.confirm': '任务 {id} 已停用：{reason}。恢复后它每次运行都可能失败，仍要恢复吗？', 'resume.anyway': '仍然恢复',
  'status.queued': '排队中', 'status.running': '运行中', 'status.success': '成功', 'status.failed': '失败',
  'status.missed': '错过', 'status.cancelled': '已取消', 'status.skipped': '已跳过', 'status.none': '暂无',
  'status.partial': '部分完成',
  'mode.manual': '手动', 'mode.auto': '自动',
  'action.detail': '详情', 'action.edit': '编辑', 'action.pause': '暂停', 'action.resume': '恢复',
  'action.trigger': '立即执行', 'action.cancel': '取消', 'action.mark_failed': '标记失败', 'action.delete': '删除',
  'action.runs': '查看执行记录', 'action.close': '关闭', 'action.save': '保存', 'action.ok': '确定',
  'action.retry': '重试', 'action.view': '查看',
  'edit.title': '编辑任务 {id}', 'edit.display_name': '显示名称', 'edit.description': '描述',
  'edit.too_long': '{field}最多 {max} 个字符（当前 {count}）', 'edit.unchanged': '没有修改',
  'edit.done': '任务 {id} 的修改已提交',
  'trigger.title': '立即执行 {id}', 'trigger.force': '强制执行（force，例如跳过交易时间检查）',
  'trigger.kwargs': '本次运行参数 kwargs（JSON 对象，可留空）',
  'trigger.kwargs_invalid': 'kwargs 不是有效的 JSON：{error}', 'trigger.kwargs_object': 'kwargs 必须是 JSON 对象，例如 {"duration_s": 3}',
  'trigger.too_large': 'kwargs 过大（{size} 字节，上限 {max}）', 'trigger.done': '任务 {id} 已提交执行，执行 ID {execution}',
  'pause.done': '任务 {id} 的暂停指令已提交', 'resume.done': '任务 {id} 的恢复指令已提交',
  'detail.title': '任务详情 {id}', 'detail.id': '任务 ID', 'detail.name': '名称', 'detail.func': '执行函数',
  'detail.args': '位置参数 args', 'detail.kwargs': '默认参数 kwargs', 'detail.policies': '运行策略',
  'detail.misfire': '错过容忍时间', 'detail.max_instances': '最大并发实例', 'detail.coalesce': '合并错过的运行',
  'detail.stats': '执行统计', 'detail.avg': '平均耗时（成功）', 'detail.last': '最近一次', 'detail.total': '总计',
  'detail.history': '最近操作', 'detail.raw_trigger': '原始触发器', 'yes': '是', 'no': '否', 'seconds': '{n} 秒',
  'runs.title': '执行记录', 'runs.job': '任务', 'runs.status': '状态', 'runs.mode': '方式', 'runs.since': '从',
  'runs.until': '到', 'runs.apply': '筛选', 'runs.reset': '重置', 'runs.all_jobs': '全部任务',
  'runs.all_statuses': '全部状态', 'runs.all_modes': '手动和自动', 'runs.empty': '没有执行记录',
  'runs.page': '第 {page} / {pages} 页，共 {total} 条', 'runs.prev': '上一页', 'runs.next': '下一页',
  'runs.range_invalid': '开始时间不能晚于结束时间', 'runs.date_invalid': '时间格式无效',
  'runs.link_invalid': '链接中的筛选值无效，已忽略：{values}', 'run.not_found': '执行记录 {id} 不存在（可能已被删除）', 'runs.time_field': '时间依据',
  'runs.by_scheduled': '按计划时间', 'runs.by_started': '按开始时间',
  'runs.cancel_requested': '正在取消…', 'runs.item': '当前：{item}',
  'cancel.done': '执行 {id} 的取消请求已提交', 'delete.confirm': '确定删除执行记录 {id}？事件日志会保留。',
  'delete.done': '执行 {id} 的删除请求已提交', 'mark.title': '标记执行 {id} 为失败', 'mark.reason': '原因',
  'mark.default': '用户手动标记为失败', 'mark.reason_invalid': '原因需要 1–{max} 个字符', 'mark.done': '执行 {id} 已提交标记为失败',
  'confirm.title': '请确认',
  'bulk.select_run': '选择执行 {id}', 'bulk.select_page': '选择本页', 'bulk.select_all': '选择全部符合筛选的 {count} 条',
  'bulk.clear': '取消选择', 'bulk.selected': '已选 {count} 条', 'bulk.delete': '批量删除', 'bulk.mark_failed': '批量标记失败',
  'bulk.confirm_delete': '确定删除选中的 {count} 条执行记录？仍在排队或运行中的会被跳过，事件日志会保留。',
  'bulk.confirm_mark_failed': '确定将选中的 {count} 条执行标记为失败？已结束的会被跳过。',
  'bulk.too_many': '选中了 {count} 条，单次批量操作最多 {max} 条，请缩小筛选范围',
  'bulk.progress': '批量操作进行中：已发送 {sent} / {to_send}，跳过 {skipped} 条',
  'bulk.done_delete': '批量删除已提交：{sent} 条，跳过 {skipped} 条（仍在进行中），{missing} 条已不存在',
  'bulk.done_mark_failed': '批量标记失败已提交：{sent} 条，跳过 {skipped} 条（已结束），{missing} 条已不存在',
  'bulk.failed': '操作中断：{error}。重新提交即可继续。',
  'retention.open': '清理旧记录…', 'retention.title': '删除任务的旧执行记录', 'retention.job': '任务',
  'retention.before': '删除计划时间早于', 'retention.submit': '删除旧记录',
  'retention.hint': '删除该任务在此时间之前的已结束执行记录；排队或运行中的会被跳过，事件日志会保留。',
  'retention.invalid': '请选择任务和有效的时间',
  'run.title': '执行详情', 'run.summary': '概要', 'run.timeline': '事件时间线', 'run.error': '错误',
  'run.traceback': '堆栈', 'run.return_value': '返回值', 'run.scheduled': '计划时间', 'run.started': '开始时间',
  'run.finished': '结束时间', 'run.actor': '操作人', 'run.worker': '执行节点', 'run.attempt': '尝试次数',
  'run.kwargs': '参数', 'run.force': '强制', 'run.no_events': '暂无事件',
  'charts.durations': '运行耗时（近 14 天，按任务）', 'charts.outcomes': '各状态执行次数',
  'charts.empty': '暂无已完成的运行', 'charts.window': '时间范围',
  'charts.percentiles': '中位 {p50} · P95 {p95} · {runs} 次',
  'charts.duration_title': '{job}：{runs} 次 · 中位 {p50} · P90 {p90} · P95 {p95} · 最长 {max} · 平均 {mean}',
  'charts.success': '成功', 'charts.failed': '失败', 'charts.other': '其他（进行中/部分完成/取消/错过/跳过）',
  'charts.by_hour': '近 24 小时（每小时）', 'charts.by_day': '近 14 天（每天）',
  'event.CommandRejected': '命令被拒绝：{reason}',
  'event.JobRegistered': '任务已注册', 'event.JobPaused': '任务已暂停', 'event.JobResumed': '任务已恢复',
  'event.JobScheduled': '已排定下次运行', 'event.JobMetadataUpdated': '任务信息已修改', 'event.RunQueued': '已排队',
  'event.JobStarted': '开始运行', 'event.Progress': '进度', 'event.JobFinished': '运行结束',
  'event.AttemptFailed': '本次尝试失败', 'event.JobMissed': '错过运行', 'event.JobSkipped': '跳过运行',
  'event.CancelRequested': '请求取消', 'event.QueuedRunCancelled': '排队中被取消',
  'event.ExecutionMarkedFailed': '被标记为失败', 'event.ExecutionDeleted': '执行记录已删除',
  'event.SchedulerHeartbeat': '调度器心跳', 'event.WorkerHeartbeat': '执行节点心跳', 'event.RetentionApplied': '已清理过期记录',
  'history.pause': '暂停', 'history.resume': '恢复', 'history.trigger': '立即执行',
  'history.update_metadata': '修改任务信息', 'history.delete': '删除执行记录', 'history.cancel': '取消执行',
  'history.mark_failed': '标记失败', 'history.ok': '成功', 'history.refused': '被拒绝',
  'run.superseded': '运行此前已结束，此事件未改变其状态',
  'run.progress_folded': '进度 ×{count}，{from} → {to}', 'run.events_left_out': '未加载 {count} 个事件（第 {from}–{to} 个），只显示开头和最近的事件',
  'run.events_count': '共 {total} 个事件', 'run.pinned': '执行状态',
  'error.0': '无法连接服务器', 'error.400': '操作无效', 'error.401': '未登录或登录已失效', 'error.403': '权限不足（需要管理员）',
  'error.404': '未找到', 'error.409': '状态冲突', 'error.413': '请求过大', 'error.422': '参数无效',
  'error.429': '请求过于频繁，请稍后再试',
  'error.503': '服务暂不可用', 'error.other': '请求失败（{status}）', 'error.load': '加载失败',
  'trigger.interval': '每 {text}', 'unit.d': '{n} 天', 'unit.h': '{n} 小时', 'unit.m': '{n} 分钟', 'unit.s': '{n} 秒',
  'cron.daily': '每天', 'cron.weekdays': '工作日', 'cron.weekends': '周末', 'cron.weekly': '每周{days}',
  'cron.day_sep': '、', 'cron.monthly': '每月 {day} 日', 'cron.month': '{month} 月',
  'cron.hourly_at': '每小时第 {minute} 分', 'cron.hourly': '每小时整点', 'cron.every_h': '每 {n} 小时（第 {minute} 分）',
  'cron.every_h0': '每 {n} 小时整点', 'cron.every_m': '每 {n} 分钟', 'cron.window_every_m': '{from}–{to} 每 {n} 分钟',
  'cron.hours_at': '{hours} 时第 {minute} 分',
  'dow.mon': '一', 'dow.tue': '二', 'dow.wed': '三', 'dow.thu': '四', 'dow.fri': '五', 'dow.sat': '六', 'dow.sun': '日',
};

const en = {
  'app.title': 'Job scheduler',
  'nav.overview': 'Overview', 'nav.runs': 'Runs', 'nav.skip': 'Skip to main content',
  'auth.title': 'Sign in', 'auth.hint': 'Use your scheduler account', 'auth.username': 'Username', 'auth.password': 'Password',
  'auth.submit': 'Sign in', 'auth.logout': 'Sign out', 'auth.expired': 'Your session ended: please sign in again', 'auth.signed_out_elsewhere': 'Signed out in another tab',
  'auth.required': 'Enter a username and a password', 'auth.admin': 'admin', 'auth.viewer': 'viewer',
  'auth.me_missing': 'Could not read your role (no /api/auth/me): shown as a viewer',
  'stream.connecting': 'Connecting to live events…', 'stream.live': 'Live', 'stream.down': 'Live stream lost, reconnecting…',
  'stream.resynced': 'Live stream back: data reloaded',
  'tz': 'Time zone {offset}',
  'stats.total': 'Jobs', 'stats.enabled': 'Enabled', 'stats.paused': 'Paused', 'stats.in_progress': 'Runs in progress',
  'stats.health': 'Scheduler', 'health.healthy': 'healthy', 'health.degraded': 'degraded', 'health.stopped': 'stopped',
  'health.unknown': 'unknown', 'health.heartbeat': 'last heartbeat {time}',
  'jobs.title': 'Jobs', 'jobs.search': 'Search name, id, description…', 'jobs.source': 'Data source', 'jobs.state': 'State',
  'jobs.all_sources': 'All sources', 'jobs.all_states': 'All states', 'jobs.empty': 'No job matches',
  'col.job': 'Job', 'col.display_name': 'Display name', 'col.trigger': 'Trigger', 'col.description': 'Description',
  'col.next_run': 'Next run', 'col.state': 'State', 'col.last_run': 'Last run', 'col.source': 'Source',
  'col.actions': 'Actions', 'col.run': 'Run', 'col.status': 'Status', 'col.mode': 'Mode', 'col.created': 'Created',
  'col.started': 'Started', 'col.duration': 'Duration', 'col.progress': 'Progress',
  'source.tushare': 'Tushare', 'source.akshare': 'AKShare', 'source.baostock': 'BaoStock',
  'source.multi': 'Multi-source', 'source.other': 'Other',
  'state.enabled': 'enabled', 'state.paused': 'paused', 'state.paused_by': 'paused by {actor}',
  'resume.confirm': 'Job {id} is disabled: {reason}. Every run may fail once it is resumed. Resume it anyway?', 'resume.anyway': 'Resume anyway',
  'status.queued': 'queued', 'status.running': 'running', 'status.success': 'success', 'status.failed': 'failed',
  'status.missed': 'missed', 'status.cancelled': 'cancelled', 'status.skipped': 'skipped', 'status.none': 'none',
  'status.partial': 'partly done',
  'mode.manual': 'manual', 'mode.auto': 'scheduled',
  'action.detail': 'Details', 'action.edit': 'Edit', 'action.pause': 'Pause', 'action.resume': 'Resume',
  'action.trigger': 'Run now', 'action.cancel': 'Cancel', 'action.mark_failed': 'Mark failed', 'action.delete': 'Delete',
  'action.runs': 'Show runs', 'action.close': 'Close', 'action.save': 'Save', 'action.ok': 'OK',
  'action.retry': 'Retry', 'action.view': 'View',
  'edit.title': 'Edit job {id}', 'edit.display_name': 'Display name', 'edit.description': 'Description',
  'edit.too_long': '{field}: at most {max} characters (now {count})', 'edit.unchanged': 'Nothing changed',
  'edit.done': 'Changes to {id} submitted',
  'trigger.title': 'Run {id} now', 'trigger.force': 'Force (e.g. skip the trading-time check)',
  'trigger.kwargs': 'This run\'s kwargs (a JSON object, optional)',
  'trigger.kwargs_invalid': 'kwargs is not valid JSON: {error}', 'trigger.kwargs_object': 'kwargs must be a JSON object, e.g. {"duration_s": 3}',
  'trigger.too_large': 'kwargs too large ({size} bytes, limit {max})', 'trigger.done': '{id} submitted, execution {execution}',
  'pause.done': 'Pause of {id} submitted', 'resume.done': 'Resume of {id} submitted',
  'detail.title': 'Job {id}', 'detail.id': 'Job id', 'detail.name': 'Name', 'detail.func': 'Function',
  'detail.args': 'args', 'detail.kwargs': 'Default kwargs', 'detail.policies': 'Policies',
  'detail.misfire': 'Misfire grace time', 'detail.max_instances': 'Max instances', 'detail.coalesce': 'Coalesce missed runs',
  'detail.stats': 'Execution statistics', 'detail.avg': 'Mean duration (successes)', 'detail.last': 'Last run', 'detail.total': 'Total',
  'detail.history': 'Recent actions', 'detail.raw_trigger': 'Raw trigger', 'yes': 'yes', 'no': 'no', 'seconds': '{n} s',
  'runs.title': 'Runs', 'runs.job': 'Job', 'runs.status': 'Status', 'runs.mode': 'Mode', 'runs.since': 'From',
  'runs.until': 'To', 'runs.apply': 'Filter', 'runs.reset': 'Reset', 'runs.all_jobs': 'All jobs',
  'runs.all_statuses': 'All statuses', 'runs.all_modes': 'Manual and scheduled', 'runs.empty': 'No runs',
  'runs.page': 'Page {page} of {pages}, {total} runs', 'runs.prev': 'Previous', 'runs.next': 'Next',
  'runs.range_invalid': 'The start is after the end', 'runs.date_invalid': 'Invalid date',
  'runs.link_invalid': 'Filter values in the link were not valid and are ignored: {values}',
  'run.not_found': 'Run {id} does not exist (it may have been deleted)', 'runs.time_field': 'Time of',
  'runs.by_scheduled': 'by scheduled time', 'runs.by_started': 'by start time',
  'runs.cancel_requested': 'cancelling…', 'runs.item': 'current: {item}',
  'cancel.done': 'Cancel of {id} requested', 'delete.confirm': 'Delete run {id}? Its events stay in the event log.',
  'delete.done': 'Deletion of {id} requested', 'mark.title': 'Mark run {id} failed', 'mark.reason': 'Reason',
  'mark.default': 'Marked failed by hand', 'mark.reason_invalid': 'The reason needs 1–{max} characters', 'mark.done': 'Run {id} marked failed',
  'confirm.title': 'Please confirm',
  'bulk.select_run': 'Select run {id}', 'bulk.select_page': 'Select this page', 'bulk.select_all': 'Select all {count} matching the filter',
  'bulk.clear': 'Clear selection', 'bulk.selected': '{count} selected', 'bulk.delete': 'Delete selected', 'bulk.mark_failed': 'Mark selected failed',
  'bulk.confirm_delete': 'Delete the {count} selected runs? Runs still queued or running are skipped; the event log is kept.',
  'bulk.confirm_mark_failed': 'Mark the {count} selected runs failed? Runs that have ended are skipped.',
  'bulk.too_many': '{count} runs selected; one bulk action takes at most {max}: narrow the filter',
  'bulk.progress': 'Bulk action running: {sent} of {to_send} sent, {skipped} skipped',
  'bulk.done_delete': 'Bulk delete sent: {sent} runs, {skipped} skipped (still in progress), {missing} already gone',
  'bulk.done_mark_failed': 'Bulk mark-failed sent: {sent} runs, {skipped} skipped (already ended), {missing} already gone',
  'bulk.failed': 'Stopped: {error}. Send it again to carry on.',
  'retention.open': 'Clean up old runs…', 'retention.title': 'Delete a job\'s old runs', 'retention.job': 'Job',
  'retention.before': 'Delete runs due before', 'retention.submit': 'Delete old runs',
  'retention.hint': 'Deletes the job\'s finished runs due before this moment; queued or running ones are skipped; the event log is kept.',
  'retention.invalid': 'Choose a job and a valid moment',
  'run.title': 'Run details', 'run.summary': 'Summary', 'run.timeline': 'Event timeline', 'run.error': 'Error',
  'run.traceback': 'Traceback', 'run.return_value': 'Result', 'run.scheduled': 'Scheduled', 'run.started': 'Started',
  'run.finished': 'Finished', 'run.actor': 'By', 'run.worker': 'Worker', 'run.attempt': 'Attempt',
  'run.kwargs': 'kwargs', 'run.force': 'Forced', 'run.no_events': 'No events yet',
  'charts.durations': 'Run durations per job (last 14 days)', 'charts.outcomes': 'Runs by outcome',
  'charts.empty': 'No finished run yet', 'charts.window': 'Time window',
  'charts.percentiles': 'median {p50} · p95 {p95} · {runs} runs',
  'charts.duration_title': '{job}: {runs} runs · median {p50} · p90 {p90} · p95 {p95} · max {max} · mean {mean}',
  'charts.success': 'success', 'charts.failed': 'failed', 'charts.other': 'other (in progress/partial/cancelled/missed/skipped)',
  'charts.by_hour': 'last 24 hours (hourly)', 'charts.by_day': 'last 14 days (daily)',
  'event.CommandRejected': 'Command rejected: {reason}',
  'event.JobRegistered': 'Job registered', 'event.JobPaused': 'Job paused', 'event.JobResumed': 'Job resumed',
  'event.JobScheduled': 'Next run planned', 'event.JobMetadataUpdated': 'Job details changed',
  'event.RunQueued': 'Queued', 'event.JobStarted': 'Started', 'event.Progress': 'Progress',
  'event.JobFinished': 'Finished', 'event.AttemptFailed': 'Attempt failed', 'event.JobMissed': 'Missed',
  'event.JobSkipped': 'Skipped', 'event.CancelRequested': 'Cancel requested',
  'event.QueuedRunCancelled': 'Cancelled while queued', 'event.ExecutionMarkedFailed': 'Marked failed',
  'event.ExecutionDeleted': 'Run deleted', 'event.SchedulerHeartbeat': 'Scheduler heartbeat',
  'event.WorkerHeartbeat': 'Worker heartbeat', 'event.RetentionApplied': 'Retention applied',
  'history.pause': 'pause', 'history.resume': 'resume', 'history.trigger': 'run now',
  'history.update_metadata': 'edit details', 'history.delete': 'delete run', 'history.cancel': 'cancel run',
  'history.mark_failed': 'mark failed', 'history.ok': 'done', 'history.refused': 'refused',
  'run.superseded': 'the run had already ended: this did not change its status',
  'run.progress_folded': 'Progress ×{count}, {from} → {to}', 'run.events_left_out': '{count} events not loaded (#{from}–#{to}): only the first and the latest are shown',
  'run.events_count': '{total} events', 'run.pinned': 'Run status',
  'error.0': 'Cannot reach the server', 'error.400': 'Not possible now', 'error.401': 'Not signed in', 'error.403': 'Not allowed (admin only)',
  'error.404': 'Not found', 'error.409': 'Conflict', 'error.413': 'Request too large', 'error.422': 'Invalid input',
  'error.429': 'Too many attempts, retry later',
  'error.503': 'Service unavailable', 'error.other': 'Request failed ({status})', 'error.load': 'Could not load',
  'trigger.interval': 'every {text}', 'unit.d': '{n} d', 'unit.h': '{n} h', 'unit.m': '{n} min', 'unit.s': '{n} s',
  'cron.daily': 'daily', 'cron.weekdays': 'weekdays', 'cron.weekends': 'weekends', 'cron.weekly': 'every {days}',
  'cron.day_sep': ', ', 'cron.monthly': 'monthly on day {day}', 'cron.month': 'in month {month}',
  'cron.hourly_at': 'hourly at :{minute}', 'cron.hourly': 'hourly on the hour', 'cron.every_h': 'every {n} h at :{minute}',
  'cron.every_h0': 'every {n} h on the hour', 'cron.every_m': 'every {n} min', 'cron.window_every_m': 'every {n} min, {from}–{to}',
  'cron.hours_at': 'at :{minute} of hours {hours}',
  'dow.mon': 'Mon', 'dow.tue': 'Tue', 'dow.wed': 'Wed', 'dow.thu': 'Thu', 'dow.fri': 'Fri', 'dow.sat': 'Sat', 'dow.sun': 'Sun',
};

const DICTIONARIES = { zh, en };
const STORAGE_KEY = 'scheduler.console.lang';
let language = readStoredLanguage();

function readStoredLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored in DICTIONARIES ? stored : 'zh';
  } catch {
    return 'zh';
  }
}

export function getLanguage() {
  return language;
}

export function setLanguage(next) {
  language = next in DICTIONARIES ? next : 'zh';
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
}

export function t(key, params = {}) {
  const text = DICTIONARIES[language][key] ?? zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (slot, name) => (name in params ? String(params[name]) : slot));
}

// Static labels in the page: data-i18n (text), data-i18n-placeholder, data-i18n-aria-label.
export function translatePage(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-placeholder]')) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
  for (const element of root.querySelectorAll('[data-i18n-aria-label]')) {
    element.setAttribute('aria-label', t(element.dataset.i18nAriaLabel));
  }
  document.title = t('app.title');
}
