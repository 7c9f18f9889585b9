"""A stdout callback for the module differential suite: one JSON line per task
result (host, task, action, status, the result itself), and nothing else, so
the runner reads each host's results in order. The include that pulls in a
case's tasks is reported too; the runner drops it by its action."""
import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'drover_diff'

    def _emit(self, result, status):
        r = dict(result._result)
        r.pop('invocation', None)
        r.pop('diff', None)
        line = {
            'host': result._host.get_name(),
            'task': result._task.get_name(),
            'action': result._task.action,
            'status': status,
            'result': r,
        }
        self._display.display(json.dumps(line, default=str, sort_keys=True))

    def v2_runner_on_ok(self, result):
        self._emit(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._emit(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._emit(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._emit(result, 'unreachable')

    def v2_playbook_on_no_hosts_remaining(self):
        pass

    def v2_runner_on_start(self, host, task):
        pass
