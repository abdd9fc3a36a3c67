/** Command ids: a contract with package.json, the tests and the docs. */
export const COMMANDS = {
  connect: 'bitrix24Tasks.connect',
  disconnect: 'bitrix24Tasks.disconnect',
  refresh: 'bitrix24Tasks.refresh',
  selectRole: 'bitrix24Tasks.selectRole',
  selectGroup: 'bitrix24Tasks.selectGroup',
  openTaskList: 'bitrix24Tasks.openTaskList',
  openTask: 'bitrix24Tasks.openTask',
  showTask: 'bitrix24Tasks.showTask',
  copyTaskLink: 'bitrix24Tasks.copyTaskLink',
  showLog: 'bitrix24Tasks.showLog',
  startWork: 'bitrix24Tasks.startWork',
  stopWork: 'bitrix24Tasks.stopWork',
  startTimer: 'bitrix24Tasks.startTimer',
  stopTimer: 'bitrix24Tasks.stopTimer',
  completeTask: 'bitrix24Tasks.completeTask',
} as const;

/** A context key for `when` clauses: the welcome view and the palette. */
export const CONNECTED_CONTEXT = 'bitrix24Tasks.connected';
