"""nbconvert's ExecutePreprocessor for Deno's Jupyter kernel.

Deno's kernel (2.x) can publish a cell's outputs (stream, execute_result, display_data) on IOPub
*after* the cell's "idle" status; nbconvert stops collecting at "idle", so such outputs are lost at
random. This preprocessor keeps reading the cell's IOPub messages after "idle" until none has arrived
for `grace` seconds. Use it instead of `--execute`:

    PYTHONPATH=notebooks/harness jupyter nbconvert --to notebook \
      --NotebookExporter.preprocessors='["deno_execute.DenoExecutePreprocessor"]' \
      --DenoExecutePreprocessor.enabled=True --output-dir OUT notebooks/quickstart.ipynb
"""
from queue import Empty

from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets import Float


class DenoExecutePreprocessor(ExecutePreprocessor):
    """ExecutePreprocessor that also collects outputs published shortly after "idle"."""

    grace = Float(0.5, help="Seconds to keep reading a cell's outputs after its idle status.").tag(config=True)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        idle = False
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.grace if idle else None))
            except Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle = True
