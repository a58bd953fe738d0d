"""Generates the VBA that classic xlwings writes for loyalty_xl.udfs ("Import Python UDFs").

Classic xlwings' udfs module needs pywin32 (Windows only); stand-ins let its real decorators and
its real VBA generator run here. A child process of the tests: prints JSON with the VBA text and
each function's classic metadata.
"""

import json
import sys
import tempfile
from types import ModuleType
from unittest import mock

for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
    sys.modules[name] = mock.MagicMock(name=name)
sys.modules["pywintypes"].com_error = type("com_error", (Exception,), {})

import xlwings  # noqa: E402
import xlwings.udfs as classic  # noqa: E402

xlwings.func, xlwings.arg, xlwings.ret = classic.xlfunc, classic.xlarg, classic.xlret

import loyalty_xl.udfs as udfs  # noqa: E402  (decorated by classic xlwings now)


def main():
    workbook = mock.MagicMock()
    workbook.Name = "Loyalty.xlsm"
    with tempfile.TemporaryFile("w+") as f:
        classic.generate_vba_wrapper("loyalty_xl.udfs", udfs, f, workbook)
        f.seek(0)
        vba = f.read()
    functions = {name: {"category": obj.__xlfunc__["category"],
                        "description": obj.__xlfunc__["ret"]["doc"],
                        "args": [{"name": a["name"], "doc": a["doc"],
                                  "optional": "optional" in a} for a in obj.__xlfunc__["args"]]}
                 for name, obj in vars(udfs).items() if hasattr(obj, "__xlfunc__")}
    assert isinstance(udfs, ModuleType)
    print(json.dumps({"vba": vba, "functions": functions}))


if __name__ == "__main__":
    main()
