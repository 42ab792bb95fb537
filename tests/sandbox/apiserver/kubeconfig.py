"""A kubeconfig for the emulator that the kubernetes client, kubernetes.core and kubectl all accept."""
import base64

import yaml

TOKEN = "sandbox-token"


def kubeconfig_doc(url, namespace=None, name="sandbox", ca_pem=None):
    context = {"cluster": name, "user": name}
    if namespace:
        context["namespace"] = namespace
    cluster = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": name, "user": {"token": TOKEN}}],
            "contexts": [{"name": name, "context": context}],
            "current-context": name}


def write_kubeconfig(path, url, namespace=None, ca_pem=None):
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(kubeconfig_doc(url, namespace, ca_pem=ca_pem), handle, sort_keys=False)
    return str(path)
