"""The import-name table: the committed file, the lookups and the ambiguity rule, and how wheels are read."""

from __future__ import annotations

import datetime
import importlib.util
import json
import re

import pytest

from pkm.run import import_names
from pkm.run.import_names import FORMAT, ImportNames, build, provided_names, top_level_names

REPO = import_names.TABLE_PATH.parents[2]
CANONICAL = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _script():
    spec = importlib.util.spec_from_file_location("gen_import_names", REPO / "scripts" / "gen_import_names.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def raw():
    return import_names.TABLE_PATH.read_text(encoding="utf-8")


# -- the committed table ---------------------------------------------------------------------------------


def test_the_committed_table_is_well_formed_and_small(raw):
    data = json.loads(raw)
    assert data["format"] == FORMAT
    datetime.date.fromisoformat(data["generated"])
    assert "top-pypi-packages" in data["source"] and "scripts/top_projects.txt" in data["source"]
    assert data["projects"] >= 1000
    assert len(raw.encode()) < 500_000
    names = data["names"]
    assert len(names) >= 1000
    for key, projects in names.items():
        assert all(part.isidentifier() for part in key.split(".")), key
        assert projects and len(projects) == len(set(projects)), key
        assert all(CANONICAL.match(p) for p in projects), (key, projects)
    assert set(data["ambiguous"]) <= set(names) and data["ambiguous"] == sorted(data["ambiguous"])
    assert data["no_wheel"] == sorted(data["no_wheel"])


def test_the_committed_table_is_written_deterministically(raw):
    data = json.loads(raw)
    keys = [json.loads("{" + line.rstrip(",") + "}") for line in raw.splitlines()[4:-1]]
    assert [next(iter(k)) for k in keys] == sorted(data["names"])  # one sorted key a line
    table = (data["names"], data["ambiguous"], data["no_wheel"])
    again = _script().render(table, generated=data["generated"], source=data["source"], projects=data["projects"])
    assert again == raw


def test_the_ranking_file_says_where_it_came_from_and_is_read_in_order():
    path = REPO / "scripts" / "top_projects.txt"
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    assert any("hugovk/top-pypi-packages" in line for line in header)
    assert any("2025-04-01" in line for line in header)
    names, described = _script().read_ranking(path)
    assert names[:3] == ["boto3", "urllib3", "setuptools"] and len(names) >= 2000
    assert len(set(names)) == len(names) and "top-pypi-packages" in described


@pytest.mark.parametrize("name, first", [
    ("yaml", "pyyaml"), ("PIL", "pillow"), ("bs4", "beautifulsoup4"), ("sklearn", "scikit-learn"),
    ("cv2", "opencv-python"), ("dateutil", "python-dateutil"), ("attr", "attrs"), ("attrs", "attrs"),
    ("jwt", "pyjwt"), ("google.protobuf", "protobuf"), ("zope.interface", "zope-interface"),
    ("pyspark", "pyspark"),  # sdist only: entered under its own name, ahead of databricks-connect
])
def test_known_mappings(name, first):
    assert import_names.candidates(name)[0] == first
    assert not import_names.is_ambiguous(name)


def test_a_submodule_finds_its_longest_known_prefix():
    assert import_names.candidates("google.cloud.storage.blob") == ["google-cloud-storage"]
    assert import_names.candidates("yaml.constructor") == ["pyyaml"]
    assert import_names.candidates("definitely_not_a_package_name") == []
    assert not import_names.is_ambiguous("definitely_not_a_package_name")


def test_shared_namespaces_are_ambiguous_but_their_pieces_are_not():
    google = import_names.candidates("google")
    assert len(google) > 10 and {"protobuf", "google-api-core", "google-cloud-storage"} <= set(google)
    assert import_names.is_ambiguous("google") and import_names.is_ambiguous("google.cloud")
    assert import_names.is_ambiguous("azure") and import_names.is_ambiguous("zope")
    assert not import_names.is_ambiguous("google.cloud.storage")
    assert not import_names.is_ambiguous("cv2")  # builds of one package: the most downloaded wins


def test_junk_that_wheels_ship_is_not_in_the_table():
    for name in ("tests", "test", "docs", "examples", "setup", "scripts", "conftest"):
        assert import_names.candidates(name) == [], name
    assert not any(key.endswith("__mypyc") for key in import_names.load().names)


def test_a_table_of_another_format_is_refused(tmp_path):
    path = tmp_path / "names.json"
    path.write_text(json.dumps({"format": "something-else", "names": {}}))
    with pytest.raises(ValueError, match="not a pkm-import-names-1 table"):
        import_names.load(path)
    path.write_text(json.dumps({"format": FORMAT, "names": {"x": ["x-dist"]}}))
    assert import_names.load(path).candidates("x.y") == ["x-dist"]


# -- reading a wheel's member names ---------------------------------------------------------------------


def test_modules_packages_and_extension_modules():
    members = [
        "yaml/__init__.py", "yaml/nodes.py", "_yaml/__init__.py",
        "six.py", "typing_extensions.pyc",
        "_cffi_backend.cpython-311-x86_64-linux-gnu.so", "ujson.cpython-312-darwin.so",
        "winreg_ext.cp312-win_amd64.pyd", "fastext.abi3.so",
        "PyYAML-6.0.2.dist-info/METADATA", "PyYAML-6.0.2.dist-info/RECORD",
    ]
    assert top_level_names(members) == ["fastext", "six", "typing_extensions", "ujson", "winreg_ext", "yaml"]


def test_private_names_count_only_when_nothing_else_is_provided():
    assert top_level_names(["_cffi_backend.cpython-311-x86_64-linux-gnu.so", "x-1.dist-info/RECORD"]) == [
        "_cffi_backend"]
    assert top_level_names(["_pytest/__init__.py", "pytest/__init__.py", "py.py"]) == ["py", "pytest"]


def test_data_directories_count_only_for_their_site_packages_schemes():
    members = [
        "demo-1.0.data/purelib/demo_pure/__init__.py",
        "demo-1.0.data/platlib/demo_fast.cpython-311-x86_64-linux-gnu.so",
        "demo-1.0.data/scripts/demo_tool.py",
        "demo-1.0.data/data/share/demo/thing.py",
        "demo-1.0.data/headers/demo.h",
    ]
    assert top_level_names(members) == ["demo_fast", "demo_pure"]


def test_what_cannot_be_imported_is_skipped():
    members = [
        "requests-stubs/__init__.pyi", "requests-stubs/api.pyi",  # a stubs-only package
        "numpy.libs/libopenblas64_p-r0.so", "numpy/__init__.py",  # auditwheel's vendored libraries
        "tests/test_numpy.py", "test/conftest.py", "docs/conf.py", "setup.py", "integration_tests/x.py",
        "numpy/__pycache__/x.cpython-311.pyc", "__pycache__/y.cpython-311.pyc",
        "share/jupyter/kernel.json", "include/numpy.h",  # data without modules
        "libfoo-1a2b.so", "class.py", "3d.py", "c7f3e8__mypyc.cpython-311-x86_64-linux-gnu.so",
    ]
    assert top_level_names(members) == ["numpy"]
    assert provided_names(["foo-stubs/__init__.pyi"]) == {}


def test_namespaces_give_dotted_names_down_to_the_first_regular_package():
    pep420 = ["google/cloud/storage/__init__.py", "google/cloud/storage/blob.py", "google/_upb/_message.abi3.so"]
    assert provided_names(pep420) == {"google": True, "google.cloud": True, "google.cloud.storage": False}
    pkgutil = ["zope/__init__.py", "zope/interface/__init__.py", "zope/interface/declarations.py"]
    assert provided_names(pkgutil) == {"zope": True, "zope.interface": False}
    module_in_namespace = ["backports/tarfile/__init__.py", "backports/zoneinfo.py"]
    assert provided_names(module_in_namespace) == {
        "backports": True, "backports.tarfile": False, "backports.zoneinfo": False}
    regular = ["attr/__init__.py", "attr/_make.py", "attr/validators.py"]
    assert provided_names(regular) == {"attr": False}


# -- merging wheels into a table --------------------------------------------------------------------------


def test_shared_namespaces_forks_and_extended_packages_are_told_apart():
    scans = [
        ("google-api-core", {"google": True, "google.api_core": False}),
        ("protobuf", {"google": True, "google.protobuf": False}),
        ("onnxruntime", {"onnxruntime": True, "onnxruntime.capi": False}),  # __init__ + subpackages only
        ("onnxruntime-gpu", {"onnxruntime": True, "onnxruntime.capi": False}),
        ("dbt-core", {"dbt": False}),
        ("dbt-snowflake", {"dbt": True, "dbt.adapters": True, "dbt.adapters.snowflake": False}),
        ("dbt-postgres", {"dbt": True, "dbt.adapters": True, "dbt.adapters.postgres": False}),
        ("tensorflow", {"tensorflow": True, "tensorflow.python": False, "tensorflow.core": False}),
    ]
    names, ambiguous = build(scans)
    assert ambiguous == ["dbt.adapters", "google"]
    assert names["google"] == ["google-api-core", "protobuf"] and names["google.protobuf"] == ["protobuf"]
    assert names["onnxruntime"] == ["onnxruntime", "onnxruntime-gpu"] and "onnxruntime.capi" not in names
    assert names["dbt"] == ["dbt-core", "dbt-snowflake", "dbt-postgres"]  # the owner first
    assert names["dbt.adapters.snowflake"] == ["dbt-snowflake"]
    assert "tensorflow.python" not in names  # one project: its top-level name answers
    table = ImportNames(names, ambiguous)
    assert table.is_ambiguous("google") and not table.is_ambiguous("dbt") and not table.is_ambiguous("onnxruntime")
    assert table.candidates("dbt.adapters.snowflake.impl") == ["dbt-snowflake"]


def test_nightlies_and_namespace_pieces_come_after_owners_whatever_their_downloads():
    scans = [
        ("tb-nightly", {"tensorboard": False}),
        ("pyqt5-sip", {"PyQt5": True, "PyQt5.sip": False}),
        ("tensorboard", {"tensorboard": False}),
        ("pyqt5", {"PyQt5": False}),
    ]
    names, ambiguous = build(scans)
    assert names["tensorboard"] == ["tensorboard", "tb-nightly"]
    assert names["PyQt5"] == ["pyqt5", "pyqt5-sip"] and ambiguous == []


def test_more_than_four_owners_of_one_name_is_a_guess():
    names, ambiguous = build([(f"utils-{i}", {"helpers": False}) for i in range(5)])
    assert ambiguous == ["helpers"] and names["helpers"][0] == "utils-0"
    assert build([(f"cv-{i}", {"cv2": False}) for i in range(4)])[1] == []


def test_a_project_without_wheels_stands_under_its_own_name():
    results = [("databricks-connect", {"pyspark": False, "databricks": True}, "x.whl"),
               ("pyspark", None, "no wheel"), ("gone", None, "not on the index"), ("2to3-x", None, "no wheel")]
    names, _, no_wheel = _script().build_table(results)
    assert names["pyspark"] == ["databricks-connect", "pyspark"]  # rank order: the script's ranking decides
    assert no_wheel == ["pyspark"] and "gone" not in names
