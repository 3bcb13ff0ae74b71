"""The pytest plugin: --dgm-device selection and the device/dtype axes."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_device_option_selects_devices(pytester):
    pytester.makepyfile("""
        def test_dev(device, dtype):
            assert device.type == "cpu"
    """)
    result = pytester.runpytest("--dgm-device", "cpu", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_unknown_device_is_a_usage_error(pytester):
    pytester.makepyfile("def test_dev(device):\n    pass\n")
    result = pytester.runpytest("--dgm-device", "tpu", "-p", "no:cacheprovider")
    assert result.ret != 0
    assert "--dgm-device/DGMCHECK_DEVICE must list devices" in str(result.outlines + result.errlines)


def test_environment_variable_selects_devices(pytester, monkeypatch):
    monkeypatch.setenv("DGMCHECK_DEVICE", "cpu")
    pytester.makepyfile("def test_dev(device):\n    assert device.type == 'cpu'\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
