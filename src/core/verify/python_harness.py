# Model Router: runs one answer's checks in one Python process (see python.ts). Python 3.8+, stdlib only.
# The host sends one JSON payload on stdin (read before any checked code runs) and reads result lines that start
# with the nonce it sent; the checked code's own stdout/stderr are captured, so it cannot print a result line.
# Startup time matters (one process per answer): json, ast, traceback and textwrap each pull in re, enum and more,
# so the payload is a Python literal read with _ast, results are encoded by hand, and AST helpers are local.
import _ast as ast, io, os, signal, sys, time, types

_T0 = time.monotonic()


def _parse_source(source, filename='<unknown>'):
    return compile(source, filename, 'exec', ast.PyCF_ONLY_AST)


def _walk(node):
    todo = [node]
    while todo:
        node = todo.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                todo.append(value)


def _literal(node):
    """The value of a literal (dict, list, str, number): the payload, which the host writes as JSON without true,
    false or null, is also a Python literal."""
    if isinstance(node, ast.Dict):
        return dict((_literal(key), _literal(value)) for key, value in zip(node.keys, node.values))
    if isinstance(node, ast.List):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    raise ValueError('not a literal: %s' % type(node).__name__)


def _json(value):
    """JSON with ASCII only (strings, numbers, booleans, lists, dicts)."""
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if value is None:
        return 'null'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return '{' + ','.join(_json(str(key)) + ':' + _json(item) for key, item in value.items()) + '}'
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(_json(item) for item in value) + ']'
    out = ['"']
    for char in str(value):
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == '\\':
            out.append('\\\\')
        elif 0x20 <= code < 0x7f:
            out.append(char)
        elif code < 0x10000:
            out.append('\\u%04x' % code)
        else:
            code -= 0x10000
            out.append('\\u%04x\\u%04x' % (0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff)))
    out.append('"')
    return ''.join(out)


_PAYLOAD = _literal(compile(sys.stdin.read(), '<payload>', 'eval', ast.PyCF_ONLY_AST).body)
sys.stdin = io.StringIO('')
_OUT_FD = os.dup(1)


def _make_emit(nonce):
    prefix = (nonce + ' ').encode('ascii')

    def emit(obj):
        data = prefix + _json(obj).encode('ascii') + b'\n'
        while data:
            written = os.write(_OUT_FD, data)
            data = data[written:]

    return emit


_emit = _make_emit(_PAYLOAD.pop('nonce'))
_DEADLINE = _T0 + max(0.05, _PAYLOAD['budgetMs'] / 1000.0)
_MAX_SHORT = 200
_MAX_DETAIL = 300
_MAX_CAPTURE = 1 << 20


def _short(text, limit=_MAX_SHORT):
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + '\u2026'
    return text


def _line(text, limit=_MAX_DETAIL):
    return _short(' '.join(str(text).split()), limit)


def _safe_repr(value):
    try:
        return _short(repr(value))
    except BaseException as error:  # a hostile __repr__
        return '<repr failed: %s>' % type(error).__name__


class CheckTimeout(BaseException):
    pass


class _Capture(io.TextIOBase):
    """Where the checked code's stdout and stderr go: bounded, never the host's pipe."""

    def __init__(self):
        self.parts = []
        self.size = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self.size < _MAX_CAPTURE:
            self.parts.append(text[: _MAX_CAPTURE - self.size])
            self.size += len(text)
        return len(text)

    def getvalue(self):
        return ''.join(self.parts)

    def reset(self):
        self.parts = []
        self.size = 0

    @property
    def encoding(self):
        return 'utf-8'


_capture = _Capture()
sys.stdout = _capture
sys.stderr = _capture
_HAS_TIMER = hasattr(signal, 'setitimer')


def _on_alarm(signum, frame):
    raise CheckTimeout()


if _HAS_TIMER:
    signal.signal(signal.SIGALRM, _on_alarm)


class _Timer(object):
    """A fixed time limit, for re-evaluating a failed assert's two sides."""

    def __init__(self, seconds):
        self.seconds = max(0.01, seconds)

    def __enter__(self):
        if _HAS_TIMER:
            signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.05)
        return self

    def __exit__(self, *exc):
        if _HAS_TIMER:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return False


class _Budget(object):
    """Each step gets an equal share of what is left, so one endless loop fails its own check and the rest run."""

    def __init__(self, steps):
        self.left = max(1, steps)
        self.share = 0.0

    def __enter__(self):
        remaining = _DEADLINE - time.monotonic()
        self.share = max(0.05, remaining / self.left)
        self.left = max(1, self.left - 1)
        if _HAS_TIMER:
            # Fires again every 50 ms, so a bare 'except:' in the checked code cannot swallow it for good.
            signal.setitimer(signal.ITIMER_REAL, self.share, 0.05)
        return self

    def __exit__(self, *exc):
        if _HAS_TIMER:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return False

    def timeout_detail(self):
        return 'timed out after %d ms (its share of the %d ms budget)' % (round(self.share * 1000), _PAYLOAD['budgetMs'])


def _exception_line(error):
    name = type(error).__name__
    module = getattr(type(error), '__module__', 'builtins')
    if module not in ('builtins', '__main__') and isinstance(module, str):
        name = module + '.' + name
    try:
        message = str(error)
    except BaseException:
        message = ''
    if isinstance(error, SyntaxError) and getattr(error, 'msg', None):
        message = '%s (line %s)' % (error.msg, error.lineno)
    return _line(name + ': ' + message if message else name)


def _result(kind, name, status, **extra):
    out = {'kind': kind, 'name': _short(name), 'status': status}
    for key in ('expected', 'got'):
        if extra.get(key) is not None:
            out[key] = _short(extra[key])
    if extra.get('detail') is not None:
        out['detail'] = _line(extra['detail'])
    return out


def _dedent(code):
    """textwrap.dedent: the common leading whitespace of the non-blank lines removed."""
    lines = code.split('\n')
    margins = [line[: len(line) - len(line.lstrip())] for line in lines if line.strip()]
    if not margins:
        return code
    common = margins[0]
    for margin in margins[1:]:
        while not margin.startswith(common):
            common = common[:-1]
    return '\n'.join(line[len(common):] if line.strip() else line.strip(' \t') for line in lines)


def _parse(code):
    """The module AST of the code, dedented when it is an indented fragment (a method); None when it does not parse."""
    for candidate in (code, _dedent(code)):
        try:
            return candidate, _parse_source(candidate)
        except (SyntaxError, ValueError) as error:
            last = error
    return None, last


def _defined_names(tree):
    names = set()
    for node in getattr(tree, 'body', []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split('.')[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in _walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return names


_STDLIB = getattr(sys, 'stdlib_module_names', None)
_site_loaded = 'site' in sys.modules


def _needs_site(tree):
    """Site-packages are added only when the code imports something outside the standard library (startup cost)."""
    if _site_loaded:
        return False
    if _STDLIB is None:
        return True
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            tops = [alias.name.split('.')[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops = [node.module.split('.')[0]]
        else:
            continue
        for top in tops:
            if top not in _STDLIB and top not in sys.modules and top != 'pytest':
                return True
    return False


def _load_site(*trees):
    global _site_loaded
    if any(tree is not None and _needs_site(tree) for tree in trees):
        _site_loaded = True
        try:
            import site

            site.main()
        except BaseException:
            pass


def _new_module(name, filename, code):
    import linecache

    module = types.ModuleType(name)
    module.__file__ = filename
    module.__builtins__ = __builtins__
    sys.modules[name] = module
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return module


def _load(name, filename, code, budget):
    """Executes the code as module 'name' (never __main__). Returns (module, None) or (None, error detail)."""
    module = _new_module(name, filename, code)
    try:
        with budget:
            exec(compile(code, filename, 'exec'), module.__dict__)
    except CheckTimeout:
        return None, 'loading the code ' + budget.timeout_detail()
    except SystemExit as error:
        return None, 'the code called exit(%s) while loading' % _short(error.code, 40)
    except BaseException as error:
        return None, 'loading the code raised ' + _exception_line(error)
    return module, None


def _outside_name(error, original_names):
    """A NameError for a name the selection does not define either: the check needs code outside the selection."""
    if not isinstance(error, NameError) or original_names is None:
        return None
    name = getattr(error, 'name', None)
    if name is None:
        import re

        match = re.search(r"name '([^']+)' is not defined", str(error))
        name = match.group(1) if match else None
    if name and name not in original_names:
        return name
    return None


# ---------------------------------------------------------------------------------------------------- doctest
_doctest = None


class _LazyModule(types.ModuleType):
    """Stands in for a module doctest imports but the checks never use; any other use imports the real one."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return getattr(__import__(self.__name__), name)


def _import_doctest():
    """doctest, without importing pdb, difflib, inspect and unittest (most of its import time): only its debugger,
    diffs, finder and unittest integration use them, and a use imports the real module then."""
    global _doctest
    if _doctest is not None:
        return _doctest
    stubs = {}
    for name in ('pdb', 'difflib', 'inspect', 'unittest'):
        if name not in sys.modules:
            stubs[name] = sys.modules[name] = _LazyModule(name)

    class Pdb(object):
        def __init__(self, *args, **kwargs):
            pass

        def reset(self):
            pass

        def set_trace(self, *args, **kwargs):
            pass

    class TestCase(object):
        pass

    class TestSuite(object):
        pass

    if 'pdb' in stubs:
        stubs['pdb'].Pdb = Pdb
        stubs['pdb'].set_trace = Pdb().set_trace
    if 'unittest' in stubs:
        stubs['unittest'].TestCase = TestCase
        stubs['unittest'].TestSuite = TestSuite
    try:
        import doctest
    finally:
        for name in stubs:
            del sys.modules[name]
    _doctest = doctest
    return doctest


def _example_text(source, want):
    lines = source.split('\n')
    text = '>>> ' + lines[0] + '\n' + ''.join('... ' + line + '\n' for line in lines[1:])
    if want:
        text += want if want.endswith('\n') else want + '\n'
    return text


_ADDRESS = None


def _has_address(want):
    global _ADDRESS
    if _ADDRESS is None:
        import re

        _ADDRESS = re.compile(r'\bat 0x[0-9a-fA-F]{4,}')
    return _ADDRESS.search(want) is not None


def _run_example(check, namespace, budget, original_names):
    doctest = _import_doctest()
    name = check['name']
    try:
        examples = doctest.DocTestParser().get_examples(_example_text(check['source'], check.get('expected') or ''))
    except ValueError as error:
        return _result('example', name, 'skipped', detail='the example is not valid doctest: %s' % error)
    if len(examples) != 1:
        return _result('example', name, 'skipped', detail='the example is not valid doctest')
    example = examples[0]
    if _has_address(example.want):
        return _result('example', name, 'skipped', detail='its expected output is an object repr with a memory address, which doctest cannot compare')
    outcome = {}

    class Runner(doctest.DocTestRunner):
        def report_start(self, out, test, example):
            pass

        def report_success(self, out, test, example, got):
            outcome['status'] = 'passed'

        def report_failure(self, out, test, example, got):
            outcome['status'] = 'failed'
            outcome['got'] = got

        def report_unexpected_exception(self, out, test, example, exc_info):
            outcome['status'] = 'error'
            outcome['error'] = exc_info[1]

    test = doctest.DocTest([example], namespace, name, None, 0, None)
    runner = Runner(verbose=False)
    try:
        with budget:
            runner.run(test, out=lambda text: None, clear_globs=False)
    except CheckTimeout:
        outcome = {'status': 'error', 'error': CheckTimeout()}
    status = outcome.get('status')
    if status is None:
        return _result('example', name, 'skipped', detail='doctest: +SKIP')
    if status == 'passed':
        return _result('example', name, 'passed')
    want = example.exc_msg if example.exc_msg is not None else example.want
    if status == 'failed':
        if _has_address(outcome['got']):
            return _result('example', name, 'skipped', detail='its output is an object repr with a memory address, which doctest cannot compare')
        return _result('example', name, 'failed', expected=want.rstrip('\n'), got=outcome['got'].rstrip('\n'))
    error = outcome['error']
    if isinstance(error, CheckTimeout):
        return _result('example', name, 'failed', expected=want.rstrip('\n'), detail=budget.timeout_detail())
    outside = _outside_name(error, original_names)
    if outside:
        return _result('example', name, 'skipped', detail="needs code outside the selection: name '%s' is not defined" % outside)
    return _result('example', name, 'failed', expected=want.rstrip('\n'), got=_exception_line(error), detail=_exception_line(error))


# ---------------------------------------------------------------------------------------------------- asserts
def _equality(tree):
    """'assert <left> == <right>' (one comparison): the two expressions, else None."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    test = tree.body[0].test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        return test.left, test.comparators[0]
    return None


def _eval_node(node, namespace, local=None, filename='<check>'):
    return eval(compile(ast.Expression(body=node), filename, 'eval'), namespace, local)


def _assert_values(tree, namespace, local=None):
    """(expected repr, got repr) for a failing 'assert a == b', or None when that cannot be said."""
    pair = _equality(tree)
    if pair is None:
        return None
    try:
        left = _eval_node(pair[0], namespace, local)
        right = _eval_node(pair[1], namespace, local)
        if bool(left == right):
            return None
    except CheckTimeout:
        raise
    except BaseException:
        return None
    return _safe_repr(right), _safe_repr(left)


def _run_assert(check, namespace, budget, original_names):
    name = check['name']
    try:
        tree = _parse_source(check['source'])
    except SyntaxError as error:
        return _result('assert', name, 'skipped', detail='the assert in the request is not valid Python: %s' % error.msg)
    try:
        with budget:
            exec(compile(tree, '<assert>', 'exec'), namespace)
        return _result('assert', name, 'passed')
    except CheckTimeout:
        return _result('assert', name, 'failed', detail=budget.timeout_detail())
    except AssertionError as error:
        values = None
        try:
            with _Timer(budget.share):
                values = _assert_values(tree, namespace)
        except CheckTimeout:
            pass
        if values:
            return _result('assert', name, 'failed', expected=values[0], got=values[1], detail='AssertionError')
        message = _exception_line(error)
        return _result('assert', name, 'failed', detail=message if message != 'AssertionError' else 'AssertionError: ' + check['source'])
    except BaseException as error:
        outside = _outside_name(error, original_names)
        if outside:
            return _result('assert', name, 'skipped', detail="needs code outside the selection: name '%s' is not defined" % outside)
        return _result('assert', name, 'failed', got=_exception_line(error), detail=_exception_line(error))


# ---------------------------------------------------------------------------------------------------- refactor
def _behaviour(tree, mode, namespace, budget):
    """What running the check's call gives: ('value', v) or ('raised', type name), and what it printed."""
    _capture.reset()
    try:
        with budget:
            if mode == 'eval':
                outcome = ('value', _eval_node(tree, namespace))
            else:
                exec(compile(tree, '<check>', 'exec'), namespace)
                outcome = ('value', None)
    except CheckTimeout:
        outcome = ('timeout', None)
    except BaseException as error:
        outcome = ('raised', error)
    return outcome, _capture.getvalue()


def _call_of(source):
    """The expression a differential check compares: the example's expression, an assert's left side or its test."""
    tree = _parse_source(source)
    if len(tree.body) == 1:
        node = tree.body[0]
        if isinstance(node, ast.Expr):
            return node.value, 'eval'
        if isinstance(node, ast.Assert):
            pair = _equality(tree)
            return (pair[0] if pair else node.test), 'eval'
    return tree, 'exec'


def _same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == 'raised':
        return type(a[1]) is type(b[1])
    if a[0] == 'timeout':
        return False
    try:
        if bool(a[1] == b[1]):
            return True
    except BaseException:
        pass
    return _safe_repr(a[1]) == _safe_repr(b[1]) and ' at 0x' not in _safe_repr(a[1])


def _describe(outcome, printed):
    if outcome[0] == 'raised':
        text = 'raises ' + _exception_line(outcome[1])
    elif outcome[0] == 'timeout':
        text = 'did not finish'
    else:
        text = _safe_repr(outcome[1])
    if printed:
        text += ' (printed %s)' % _safe_repr(printed)
    return text


def _run_differential(check, answer_ns, original_ns, budget, original_names):
    name = check['name']
    try:
        node, mode = _call_of(check['source'])
    except SyntaxError as error:
        return _result('differential', name, 'skipped', detail='the call in the request is not valid Python: %s' % error.msg)
    before = _behaviour(node, mode, original_ns, budget)
    if before[0][0] == 'raised' and _outside_name(before[0][1], original_names):
        budget.left = max(1, budget.left - 1)
        return _result('differential', name, 'skipped', detail='the call does not run on the selection alone: ' + _exception_line(before[0][1]))
    if before[0][0] == 'timeout':
        budget.left = max(1, budget.left - 1)
        return _result('differential', name, 'skipped', detail='the original code did not finish this call in its share of the budget')
    after = _behaviour(node, mode, answer_ns, budget)
    if after[0][0] == 'timeout':
        return _result('differential', name, 'failed', expected=_describe(*before), detail=budget.timeout_detail())
    if _same(before[0], after[0]) and before[1] == after[1]:
        return _result('differential', name, 'passed')
    return _result('differential', name, 'failed', expected=_describe(*before), got=_describe(*after),
                   detail='the original code gives %s, the answer %s' % (_describe(*before), _describe(*after)))


# ---------------------------------------------------------------------------------------------------- tests
class _Unsupported(AttributeError):
    pass


class _Skipped(Exception):
    pass


def _pytest_shim():
    """The part of pytest generated tests commonly use: raises, approx, fail, skip, mark, fixture."""
    import math
    import re

    shim = types.ModuleType('pytest')

    class RaisesContext(object):
        def __init__(self, expected, match):
            self.expected = expected
            self.match = match
            self.value = None
            self.type = None

        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                raise AssertionError('DID NOT RAISE %r' % (self.expected,))
            if issubclass(exc_type, CheckTimeout) or not issubclass(exc_type, self.expected):
                return False
            self.value = exc
            self.type = exc_type
            if self.match is not None and not re.search(self.match, str(exc)):
                raise AssertionError('Regex pattern %r does not match %r.' % (self.match, str(exc)))
            return True

    def raises(expected, *args, **kwargs):
        match = kwargs.pop('match', None)
        context = RaisesContext(expected, match)
        if args and callable(args[0]):
            with context:
                args[0](*args[1:], **kwargs)
            return context
        return context

    class Approx(object):
        def __init__(self, expected, rel=None, abs=None):
            self.expected = expected
            self.rel = 1e-6 if rel is None else rel
            self.abs = 1e-12 if abs is None else abs

        def _close(self, actual, expected):
            if isinstance(expected, (list, tuple)):
                return isinstance(actual, (list, tuple)) and len(actual) == len(expected) and all(self._close(a, e) for a, e in zip(actual, expected))
            if isinstance(expected, dict):
                return isinstance(actual, dict) and set(actual) == set(expected) and all(self._close(actual[k], expected[k]) for k in expected)
            try:
                return actual == expected or math.isclose(actual, expected, rel_tol=self.rel, abs_tol=self.abs)
            except TypeError:
                return actual == expected

        def __eq__(self, actual):
            return self._close(actual, self.expected)

        def __ne__(self, actual):
            return not self.__eq__(actual)

        __hash__ = None

        def __repr__(self):
            return 'approx(%r)' % (self.expected,)

    def approx(expected, rel=None, abs=None):
        return Approx(expected, rel, abs)

    def fail(reason='', pytrace=True):
        raise AssertionError(reason)

    def skip(reason='', allow_module_level=False):
        raise _Skipped(reason)

    class Mark(object):
        def __init__(self, name, args, kwargs):
            self.name = name
            self.args = args
            self.kwargs = kwargs

    class MarkDecorator(object):
        def __init__(self, name, args=(), kwargs=None):
            self.mark = Mark(name, args, kwargs or {})

        def __call__(self, *args, **kwargs):
            if len(args) == 1 and not kwargs and callable(args[0]):
                target = args[0]
                marks = list(getattr(target, 'pytestmark', []))
                marks.append(self.mark)
                target.pytestmark = marks
                return target
            return MarkDecorator(self.mark.name, args, kwargs)

    class MarkGenerator(object):
        def __getattr__(self, name):
            if name.startswith('__'):
                raise AttributeError(name)
            return MarkDecorator(name)

    def fixture(*args, **kwargs):
        def mark(function):
            function._mr_fixture = kwargs.get('params')
            return function

        if len(args) == 1 and callable(args[0]) and not kwargs:
            return mark(args[0])
        return mark

    def param(*values, **kwargs):
        return values

    def module_getattr(name):
        raise _Unsupported('pytest.%s is not offered by the checker (pytest is not run)' % name)

    shim.raises = raises
    shim.approx = approx
    shim.fail = fail
    shim.skip = skip
    shim.mark = MarkGenerator()
    shim.fixture = fixture
    shim.param = param
    shim.__getattr__ = module_getattr
    return shim


def _import_roots(tree):
    roots = []
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            roots.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.append(node.module)
    return roots


def _importable(name):
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except BaseException:
        return False


def _failure(error, tb_module):
    """detail, expected, got for a failed test: unittest's message, or the failing 'assert a == b' line's values."""
    detail = _exception_line(error)
    expected = got = None
    if isinstance(error, AssertionError):
        frame_tb = error.__traceback__
        last = None
        while frame_tb is not None:
            if frame_tb.tb_frame.f_globals.get('__name__') == tb_module:
                last = frame_tb
            frame_tb = frame_tb.tb_next
        if last is not None:
            import linecache

            text = linecache.getline(last.tb_frame.f_code.co_filename, last.tb_lineno).strip()
            if text.startswith('assert'):
                if detail == 'AssertionError':
                    detail = 'AssertionError: ' + text
                try:
                    values = _assert_values(_parse_source(text), last.tb_frame.f_globals, last.tb_frame.f_locals)
                except BaseException:
                    values = None
                if values:
                    expected, got = values
    return detail, expected, got


def _run_tests(payload, answer_code, answer_tree, original_code, budget):
    import inspect

    tests_name = 'test_generated'
    module_file = payload.get('moduleFile')
    original_tree = None
    if original_code:
        parsed = _parse(original_code)
        original_tree = parsed[1] if parsed[0] is not None else None
    _load_site(answer_tree, original_tree)
    sys.path.insert(0, os.getcwd())
    sys.modules['pytest'] = _pytest_shim()
    if 'unittest' in answer_code:
        import unittest

        unittest.main = lambda *args, **kwargs: None
    original = None
    if original_code:
        if original_tree is None:
            _emit({'r': _result('test', 'generated tests', 'skipped', detail='the selected code does not parse on its own, so the tests cannot import it')})
            return
        module_name = os.path.splitext(module_file)[0] if module_file else 'solution'
        original, error = _load(module_name, os.path.join(os.getcwd(), module_file or 'solution.py'), parsed[0], budget)
        if original is None:
            _emit({'r': _result('test', 'generated tests', 'skipped', detail='the selected code does not load on its own: ' + error)})
            return
        for root in _import_roots(answer_tree):
            if root in sys.modules or _importable(root.split('.')[0]):
                continue
            parts = root.split('.')
            for index in range(1, len(parts) + 1):
                sys.modules.setdefault('.'.join(parts[:index]), original)
    module = _new_module(tests_name, 'test_generated.py', answer_code)
    if original is not None:
        for key, value in vars(original).items():
            if not key.startswith('_'):
                module.__dict__[key] = value
    try:
        with budget:
            exec(compile(answer_code, 'test_generated.py', 'exec'), module.__dict__)
    except _Unsupported as error:
        _emit({'r': _result('test', 'generated tests', 'skipped', detail=str(error))})
        return
    except CheckTimeout:
        _emit({'r': _result('test', 'generated tests', 'failed', detail='loading the tests ' + budget.timeout_detail())})
        return
    except BaseException as error:
        _emit({'r': _result('test', 'generated tests', 'failed', detail='loading the tests raised ' + _exception_line(error))})
        return

    known = set(_defined_names(original_tree)) if original_tree is not None else set()
    known.update(_defined_names(answer_tree))

    def missing_name(error):
        """A NameError for a name neither the selection nor the tests define: the selection is part of a bigger
        file (a method without its class), so the test cannot run on it alone."""
        if isinstance(error, _UnittestFailure):
            import re

            match = re.match(r"NameError: name '([^']+)' is not defined", str(error))
            name = match.group(1) if match else None
        elif isinstance(error, NameError):
            name = _outside_name(error, set())
        else:
            name = None
        if name and name not in known and not hasattr(__builtins__, name) and not (isinstance(__builtins__, dict) and name in __builtins__):
            return name
        return None

    cases = []  # (name, run) where run() returns (status, detail, expected, got)
    fixtures = dict((key, value) for key, value in vars(module).items() if callable(value) and hasattr(value, '_mr_fixture'))

    def marks_of(obj):
        return list(getattr(obj, 'pytestmark', []) or [])

    def skip_reason(marks):
        for mark in marks:
            if mark.name == 'skip':
                return 'marked skip' + (': ' + str(mark.kwargs.get('reason') or (mark.args[0] if mark.args else '')) if (mark.kwargs or mark.args) else '')
            if mark.name == 'skipif' and mark.args and mark.args[0] is True:
                return 'marked skipif: ' + str(mark.kwargs.get('reason', ''))
            if mark.name == 'xfail':
                return 'marked xfail'
        return None

    def call_with_fixtures(function, given, finalizers):
        try:
            parameters = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        kwargs = {}
        for parameter in parameters:
            if parameter.name in given:
                kwargs[parameter.name] = given[parameter.name]
            elif parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or parameter.default is not parameter.empty:
                continue
            elif parameter.name in fixtures:
                value = call_with_fixtures(fixtures[parameter.name], given, finalizers)
                if inspect.isgenerator(value):
                    generator = value
                    value = next(generator)
                    finalizers.append(generator)
                kwargs[parameter.name] = value
            elif parameter.name == 'tmp_path':
                import pathlib
                import tempfile

                kwargs[parameter.name] = pathlib.Path(tempfile.mkdtemp(dir=os.getcwd()))
            else:
                raise _Skipped("needs the pytest fixture '%s', which the checker cannot supply" % parameter.name)
        return function(**kwargs)

    def outcome_of(run):
        finalizers = []
        try:
            with budget:
                try:
                    run(finalizers)
                finally:
                    for generator in finalizers:
                        try:
                            next(generator)
                        except StopIteration:
                            pass
            return ('passed', None, None, None)
        except CheckTimeout:
            return ('failed', budget.timeout_detail(), None, None)
        except (_Skipped, _Unsupported) as error:
            return ('skipped', str(error) or 'skipped', None, None)
        except BaseException as error:
            if type(error).__name__ == 'SkipTest':
                return ('skipped', 'skipped: ' + str(error), None, None)
            if isinstance(error, _UnittestFailure) and error.timed_out:
                return ('failed', budget.timeout_detail(), None, None)
            outside = missing_name(error)
            if outside:
                return ('skipped', "needs code outside the selection: name '%s' is not defined" % outside, None, None)
            try:
                with _Timer(min(0.5, budget.share)):
                    detail, expected, got = _failure(error, tests_name)
            except CheckTimeout:
                detail, expected, got = _exception_line(error), None, None
            return ('failed', detail, expected, got)

    def function_cases(name, function, owner_marks, make_self=None):
        marks = owner_marks + marks_of(function)
        reason = skip_reason(marks)
        if reason:
            cases.append((name, lambda: ('skipped', reason, None, None)))
            return
        sets = [{}]
        for mark in marks:
            if mark.name != 'parametrize' or len(mark.args) < 2:
                continue
            names = mark.args[0]
            names = [n.strip() for n in names.split(',')] if isinstance(names, str) else list(names)
            expanded = []
            for given in sets:
                for values in mark.args[1]:
                    if len(names) == 1:
                        values = (values,)
                    combined = dict(given)
                    combined.update(zip(names, values))
                    expanded.append(combined)
            sets = expanded
        for index, given in enumerate(sets):
            label = name if len(sets) == 1 and not given else '%s[%d]' % (name, index)

            def run(finalizers, function=function, given=given):
                if make_self is None:
                    return call_with_fixtures(function, given, finalizers)
                instance = make_self()
                setup = getattr(instance, 'setup_method', None)
                if setup:
                    setup(function)
                try:
                    bound = getattr(instance, function.__name__)
                    return call_with_fixtures(bound, given, finalizers)
                finally:
                    teardown = getattr(instance, 'teardown_method', None)
                    if teardown:
                        teardown(function)

            cases.append((label, lambda run=run: outcome_of(run)))

    def unittest_case(cls, method):
        def run(finalizers):
            import unittest

            result = unittest.TestResult()
            cls(method).run(result)
            if result.skipped:
                raise _Skipped('skipped: ' + str(result.skipped[0][1]))
            for test, text in result.errors + result.failures:
                raise _UnittestFailure(text)
            if result.expectedFailures:
                raise _Skipped('expected failure')

        return lambda: outcome_of(run)

    for key, value in list(vars(module).items()):
        if getattr(value, '__module__', None) != tests_name:
            continue
        if inspect.isfunction(value) and key.startswith('test') and not hasattr(value, '_mr_fixture'):
            function_cases(key, value, [])
        elif inspect.isclass(value):
            if 'unittest' in sys.modules and issubclass(value, sys.modules['unittest'].TestCase):
                import unittest

                for method in unittest.TestLoader().getTestCaseNames(value):
                    cases.append(('%s.%s' % (key, method), unittest_case(value, method)))
            elif key.startswith('Test') and '__init__' not in vars(value):
                for method, function in list(vars(value).items()):
                    if method.startswith('test') and inspect.isfunction(function):
                        function_cases('%s.%s' % (key, method), function, marks_of(value), make_self=value)
    if not cases:
        _emit({'r': _result('test', 'generated tests', 'failed', detail='no tests found: no test_* functions and no unittest.TestCase test methods')})
        return
    budget.left = len(cases)
    for name, run in cases:
        _emit({'start': _short(name)})
        status, detail, expected, got = run()
        _emit({'r': _result('test', name, status, detail=detail, expected=expected, got=got)})


class _UnittestFailure(Exception):
    def __init__(self, text):
        lines = [line for line in text.strip().splitlines() if line.strip()]
        self.timed_out = bool(lines) and lines[-1].split(':')[0].strip().endswith('CheckTimeout')
        Exception.__init__(self, lines[-1] if lines else 'failed')


# ---------------------------------------------------------------------------------------------------- main
def main():
    payload = _PAYLOAD
    checks = payload['checks']
    code = payload['code']
    original_code = payload.get('original') or ''
    _emit({'ready': True})
    source, tree = _parse(code)
    if source is None:
        original_source = _parse(original_code)[0] if original_code.strip() else None
        if original_code.strip() and original_source is None:
            _emit({'r': _result('parse', 'parse', 'skipped', detail='a fragment, like the selection, that does not parse on its own')})
            reason = 'not run: the code is a fragment that does not run on its own'
        else:
            error = tree
            where = ' (line %s)' % error.lineno if getattr(error, 'lineno', None) else ''
            _emit({'r': _result('parse', 'parse', 'failed', detail='%s: %s%s' % (type(error).__name__, getattr(error, 'msg', error), where))})
            reason = 'not run: the code does not parse'
        for check in checks:
            _emit({'r': _result(check['kind'], check['name'], 'skipped', detail=reason)})
        return
    _emit({'r': _result('parse', 'parse', 'passed')})
    if payload['mode'] == 'tests':
        _run_tests(payload, source, tree, original_code, _Budget(3))
        return
    original_names = None
    original_tree = None
    original_source = None
    if original_code.strip():
        original_source, original_tree = _parse(original_code)
        original_names = _defined_names(original_tree) if original_source is not None else None
    differential = any(check['kind'] == 'differential' for check in checks)
    budget = _Budget((2 if differential else 1) + sum(2 if check['kind'] == 'differential' else 1 for check in checks))
    _load_site(tree, original_tree if differential and original_source is not None else None)
    stem = payload.get('moduleName') or 'solution'
    original_ns = None
    if differential:
        if original_source is None:
            for check in checks:
                _emit({'r': _result(check['kind'], check['name'], 'skipped', detail='the selected code does not parse on its own, so there is nothing to compare with')})
            return
        original_module, error = _load(stem + '_original', stem + '_original.py', original_source, budget)
        if original_module is None:
            for check in checks:
                _emit({'r': _result(check['kind'], check['name'], 'skipped', detail='the selected code does not load on its own: ' + error)})
            return
        original_ns = original_module.__dict__
    module, error = _load(stem, stem + '.py', source, budget)
    if module is None:
        for check in checks:
            _emit({'r': _result(check['kind'], check['name'], 'failed', detail=error)})
        return
    namespace = module.__dict__
    for index, check in enumerate(checks):
        _emit({'start': index})
        kind = check['kind']
        try:
            if kind == 'example':
                result = _run_example(check, namespace, budget, original_names)
            elif kind == 'assert':
                result = _run_assert(check, namespace, budget, original_names)
            elif kind == 'differential':
                result = _run_differential(check, namespace, original_ns, budget, original_names)
            else:
                result = _result(kind, check['name'], 'skipped', detail='not a Python check')
        except CheckTimeout:
            result = _result(kind, check['name'], 'failed', detail=budget.timeout_detail())
        _emit({'r': result})


try:
    main()
except BaseException as error:  # the harness itself failed: say so rather than die silently
    try:
        _emit({'crash': _exception_line(error)})
    except BaseException:
        pass
_emit({'done': True})
sys.stdout.flush()
os._exit(0)
