"""The rates of one tool_eval.json as curve columns: heldout_* and paraphrased_* (exact arguments,
right tool, correct no-call, agent conversations solved). Shared by curve.py and
compare/speedrun_vs_torch.sh."""


def curve_columns(report):
    row = {}
    for label, part in (("heldout", report), ("paraphrased", report.get("paraphrased", {}))):
        rates = part.get("all", {})
        row[f"{label}_exact_args"] = rates.get("exact_arguments_rate", "")
        row[f"{label}_right_tool"] = rates.get("right_tool_rate", "")
        row[f"{label}_no_call_ok"] = rates.get("no_call_correct_rate", "")
        row[f"{label}_agent"] = part.get("agent", {}).get("all", {}).get("conversation_rate", "")
    return row
