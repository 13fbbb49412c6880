"""Expand a SAM template into plain CloudFormation, as `sam deploy` would.

Usage: python sam_transform.py TEMPLATE.yaml OUT.json

Used by infra/lint so that cfn-lint also checks what the SAM transform
generates (roles, permissions, the REST API body, schedules). Local CodeUri
folders are replaced by placeholder s3:// addresses, as `sam package` would
replace them by the uploaded artefacts. No AWS account or network is used.
"""

import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names managed policies by ARN only; nothing to look up."""

    def load(self):
        return {}


def main(source: str, target: str) -> int:
    with open(source, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for name, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        code = props.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code, str):
            if not code.startswith("s3://"):
                props["CodeUri"] = f"s3://placeholder-artifacts/{name}.zip"
    try:
        out = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"{source}: SAM transform: {cause.message}", file=sys.stderr)
        return 2
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    sys.exit(main(sys.argv[1], sys.argv[2]))
