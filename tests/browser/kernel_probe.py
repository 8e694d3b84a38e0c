"""Run inside a notebook's kernel by the browser tests (sent as source, silently; never imported there).

`_coursegrad_browser_probe(model_id)` describes, read-only, the coursegrad explorers inside
the widget displayed with that model id, in the order they appear on the page: their
controls' exact values, and the engine's own answers for those values, computed afresh
(new `Value`s, a new backward pass; the explorer's objects are not touched):

- graph explorer: f and ∂f/∂input of the notebook's own function at the sliders' values;
- backprop stepper: the node the engine visits at the current step j (backprop visits the
  interior nodes in reverse topological order; step 0 is the seed) with its value and
  upstream gradient;
- the others: the settings a test needs to recompute what they show (loss, width, steps).
"""

import json


def _coursegrad_browser_probe(model_id):
    import ipywidgets

    from coursegrad import Value
    from coursegrad.drawing import summary
    from coursegrad.engine import topological_order
    from coursegrad.widgets import BackpropStepper, Explorer, GraphExplorer

    found = []

    def walk(widget):
        if isinstance(widget, Explorer):
            found.append(widget)
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(ipywidgets.Widget.widgets[model_id])
    described = []
    for explorer in found:
        controls = {}
        for name, control in explorer.sliders.items():
            info = {"type": type(control).__name__, "value": control.value}
            for attribute in ("min", "max", "step", "base", "options"):
                if hasattr(control, attribute):
                    value = getattr(control, attribute)
                    info[attribute] = list(value) if isinstance(value, tuple) else value
            controls[name] = info
        facts = {"class": type(explorer).__name__, "controls": controls}
        if isinstance(explorer, GraphExplorer):
            inputs = {name: Value(float(s.value), label=name) for name, s in explorer.sliders.items()}
            out = explorer.f(*inputs.values())
            out.backward()
            facts["output_label"] = out.label or "f"
            facts["output"] = float(out.data)
            facts["grads"] = {name: float(v.grad) for name, v in inputs.items()}
            facts["summaries"] = [summary(v.data) for v in inputs.values()] + [summary(out.data)]
        if isinstance(explorer, BackpropStepper):
            j = int(explorer.sliders["step"].value)  # step 0 is the seed; step j is the engine's j-th node
            visited = [node for node in reversed(topological_order(explorer.trace.root)) if node.inputs]
            facts["visited_steps"] = len(visited)
            facts["step"] = j
            facts["description"] = explorer.trace.describe(j)
            if j > 0:
                facts["node_value"] = summary(visited[j - 1].data)
                facts["node_upstream"] = summary(visited[j - 1].grad)
        for attribute in ("loss", "width", "steps"):
            value = getattr(explorer, attribute, None)
            if isinstance(value, (int, str)) and not isinstance(value, bool):
                facts[attribute] = value
        described.append(facts)
    return json.dumps(described)
