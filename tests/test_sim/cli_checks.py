"""Running the command line in a test, and the shape of a bad-input refusal."""

from dronesim.sim.cli import main


def run(capsys, *argv):
    """``dronesim ARGV...`` in-process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err, *parts):
    """Exit 2, nothing on stdout, one line on stderr holding every part, no traceback."""
    assert code == 2, err
    assert out == ""
    assert err.startswith("dronesim: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, (part, err)
