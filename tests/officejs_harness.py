"""Runs loyalty_xl.udfs through xlwings' own Office.js dispatch, as xlwings Lite and Server do.

A child process of the tests (xlwings reads XLWINGS_ON_SERVER at import, and the noncommercial
licence key is set only here, in this test process). Reads one JSON request per line on stdin,
writes one JSON answer per line: {"op": "meta"} or {"op": "call", "func_name": ..., "args": ...}.
"""

import asyncio
import json
import os
import sys

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import xlwings  # noqa: E402
from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402

import loyalty_xl.udfs as udfs  # noqa: E402


def call(request):
    data = {"func_name": request["func_name"], "args": request["args"],
            "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
    return asyncio.run(custom_functions_call(data, udfs))


def main():
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "meta":
                answer = {"ok": custom_functions_meta(udfs)}
            else:
                answer = {"ok": call(request)}
        except Exception as err:  # reported to the test, which fails on it
            answer = {"raised": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
