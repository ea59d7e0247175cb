"""Execute one notebook, inside the sandbox: ``python -m course_grader.runner IN OUT``.

Runs every code cell with nbclient in a fresh kernel:

- a cell gets ``--cell-timeout`` seconds; then the kernel is interrupted, and
  if the cell ignores the interrupt for as long again the kernel is killed, a
  new one is started, the cells that had run are run again in it
  (their outputs dropped) and the notebook goes on after the stopped cell;
- a dying kernel (``os._exit``, a crash, the memory limit) ends the run: the
  cells after it are marked as not run, the results saved before it count;
- each cell keeps at most ``--cell-output`` bytes of output and the notebook
  at most ``--total-output``; the rest is replaced by a note.

Writes the executed notebook to OUT and a summary (``OUT.status.json``, with
the seconds the kernel took to start and each cell took to run).  Both are
only data for the grader, which trusts neither for scores.
"""
import argparse
import json
import sys
import time

CUT_NOTE = "\n[... output cut by the grader: {} bytes over the limit ...]\n"


def _size(out):
    return len(json.dumps(out, default=str))


def _client_class():
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError
    from nbclient.util import ensure_async

    class GraderClient(NotebookClient):
        """nbclient with a byte budget for outputs and a kernel kill for ignored interrupts."""

        cell_budget = 256 * 1024
        total_budget = 4 * 1024 * 1024
        used_total = 0

        def start_cell(self):
            self.used_cell = 0
            self.dropped = 0
            self.interrupted = False
            self.killed = False

        async def _async_handle_timeout(self, timeout, cell=None):
            if not self.interrupted:             # first time out: interrupt, wait once more
                self.interrupted = True
                await ensure_async(self.km.interrupt_kernel())
                return None
            self.killed = True                   # the interrupt was ignored: kill the kernel
            await ensure_async(self.km.shutdown_kernel(now=True))
            raise DeadKernelError("the cell ignored the interrupt; the kernel was killed")

        def output(self, outs, msg, display_id, cell_index):
            from nbformat.v4 import output_from_msg
            try:
                out = output_from_msg(msg)
            except ValueError:
                return None
            size = _size(out)
            room = min(self.cell_budget - self.used_cell, self.total_budget - self.used_total)
            if size > room:
                self.dropped += size
                return None
            self.used_cell += size
            self.used_total += size
            return super().output(outs, msg, display_id, cell_index)

    return GraderClient


def _label(cell, index):
    """A cell's name in the timings: its grade id, the probe's part, or its position."""
    meta = cell.get("metadata", {})
    if meta.get("grader_probe"):
        return f"probe {meta['grader_probe']}"
    return (meta.get("nbgrader") or {}).get("grade_id") or f"cell {index}"


def _error(ename, text):
    import nbformat.v4 as v4
    return v4.new_output("error", ename=ename, evalue=text, traceback=[text])


def run(in_path, out_path, cell_timeout=60, cell_output=256 * 1024,
        total_output=4 * 1024 * 1024, kernel="python3"):
    import nbformat
    import nbformat.v4 as v4
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(in_path, as_version=4)
    client = _client_class()(nb, timeout=cell_timeout, kernel_name=kernel, allow_errors=True,
                             interrupt_on_timeout=True, iopub_timeout=5,
                             raise_on_iopub_timeout=False, record_timing=False,
                             resources={"metadata": {"path": "."}})
    client.cell_budget, client.total_budget = cell_output, total_output
    status = {"cells": {}, "kernel_died": None, "killed": [], "timed_out": [], "seconds": {}}
    done = []                                   # indices of cells run to completion

    def write():
        nbformat.write(nb, out_path)
        with open(str(out_path) + ".status.json", "w", encoding="utf-8") as fh:
            json.dump(status, fh)

    started = time.monotonic()
    with client.setup_kernel():
        status["seconds"]["kernel start"] = round(time.monotonic() - started, 3)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.start_cell()
            began = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                if not client.killed:
                    status["kernel_died"] = index
                    cell.outputs.append(_error("DeadKernelError", "The kernel died while running "
                                               "this cell; the cells after it were not run."))
                    break
                status["killed"].append(index)
                cell.outputs.append(_error(
                    "CellTimeoutError", f"The grader stopped this cell after {cell_timeout} s; it "
                    "ignored the interrupt, so the kernel was restarted and the cells before it "
                    "were run again."))
                _restart_and_replay(client, nb, done)
            else:
                if client.interrupted:
                    status["timed_out"].append(index)
                    cell.outputs.append(_error(
                        "CellTimeoutError",
                        f"The grader stopped this cell after {cell_timeout} s."))
                else:
                    done.append(index)
            if client.dropped:
                cell.outputs.append(v4.new_output("stream", name="stderr",
                                                  text=CUT_NOTE.format(client.dropped)))
            status["seconds"][_label(cell, index)] = round(time.monotonic() - began, 3)
            status["cells"][str(index)] = next(
                (o.get("ename") for o in cell.outputs if o.get("output_type") == "error"), None)
            write()                             # what ran so far survives a killed runner
    write()


def _restart_and_replay(client, nb, done):
    """Start a new kernel and run again, silently, the cells that completed before."""
    import copy

    try:
        client.kc.stop_channels()
    except Exception:  # the old channels may be gone
        pass
    client.km = client.create_kernel_manager()  # the old one's sockets are closed for good
    client.start_new_kernel(cwd=".")            # nbclient's own (synchronous) wrappers
    client.start_new_kernel_client()
    for index in done:
        scratch = copy.deepcopy(nb.cells[index])
        client.start_cell()
        try:
            client.execute_cell(scratch, index)
        except Exception:  # a replay that fails is ignored
            pass


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("notebook")
    p.add_argument("out")
    p.add_argument("--cell-timeout", type=int, default=60)
    p.add_argument("--cell-output", type=int, default=256 * 1024)
    p.add_argument("--total-output", type=int, default=4 * 1024 * 1024)
    a = p.parse_args(argv)
    run(a.notebook, a.out, a.cell_timeout, a.cell_output, a.total_output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
