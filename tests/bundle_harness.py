"""Runs a generated Excel-functions module (xlwings Lite main.py or the xlwings Server module)
through xlwings' own Office.js dispatch, in a Python that has numpy and xlwings but no
loyalty_xl (tests/test_excel_bundle.py makes that virtual environment).

    python -I bundle_harness.py lite|server FILE

Loads FILE as the runtime does: Lite execs the text into a fresh module named "main" (as
xlwings' wasm runtime does); Server imports it as app/custom_functions/loyalty_kpis.py, star-
imported into the custom_functions package. Then reads one JSON request per line on stdin and
writes one JSON answer per line, like tests/officejs_harness.py. Nothing runs on import.
"""


def main(kind, path):
    import asyncio
    import importlib.util
    import json
    import os
    import sys
    import tempfile
    import types
    from pathlib import Path

    os.environ["XLWINGS_ON_SERVER"] = "true"
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
    if importlib.util.find_spec("loyalty_xl") is not None:
        raise SystemExit("loyalty_xl is importable here: the bundle test would prove nothing")

    import xlwings
    from xlwings.server import custom_functions_call, custom_functions_meta

    text = Path(path).read_text(encoding="utf-8")
    if kind == "lite":
        spec = importlib.util.spec_from_loader("main", loader=None)
        module = importlib.util.module_from_spec(spec)
        exec(text, module.__dict__)
        sys.modules["main"] = module
    else:
        app = Path(tempfile.mkdtemp(prefix="xlwings-server-app-"))
        (app / "custom_functions").mkdir()
        (app / "custom_functions" / "__init__.py").write_text("from .loyalty_kpis import *\n")
        (app / "custom_functions" / "loyalty_kpis.py").write_text(text, encoding="utf-8")
        sys.path.insert(0, str(app))
        import custom_functions as module
    assert isinstance(module, types.ModuleType)

    def call(request):
        data = {"func_name": request["func_name"], "args": request["args"],
                "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4",
                "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
        return asyncio.run(custom_functions_call(data, module))

    sys.stdout.write(json.dumps({"ready": sorted(n for n in sys.modules
                                                 if n.startswith("loyalty_xl"))}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "meta":
                answer = {"ok": custom_functions_meta(module)}
            else:
                answer = {"ok": call(request)}
        except Exception as err:  # reported to the test, which fails on it
            answer = {"raised": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    import sys

    main(*sys.argv[1:3])
