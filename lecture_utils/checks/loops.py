"""Find the loops in a student's function by reading its source (for "no loops" exercises)."""

import ast
import inspect
import textwrap

LOOP_KINDS = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
              ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
              ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression"}


def loops_in(function):
    """[(kind, source line), ...] for each loop in `function`, in source order.

    None when the source cannot be read (a function made by exec, a builtin): then a
    "no loops" rule cannot be checked and is skipped.
    """
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except Exception:  # OSError, TypeError (no source), SyntaxError (part of a lambda's line)
        return None
    lines = source.splitlines()
    loops = [node for node in ast.walk(tree) if type(node) in LOOP_KINDS]
    return [(LOOP_KINDS[type(node)], lines[node.lineno - 1].strip())
            for node in sorted(loops, key=lambda node: (node.lineno, node.col_offset))]
