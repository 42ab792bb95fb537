"""A kubeconfig for the emulator that the kubernetes client, kubernetes.core and kubectl all accept."""
import yaml

TOKEN = "sandbox-token"


def kubeconfig_doc(url, namespace=None, name="sandbox"):
    context = {"cluster": name, "user": name}
    if namespace:
        context["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": name, "cluster": {"server": url}}],
            "users": [{"name": name, "user": {"token": TOKEN}}],
            "contexts": [{"name": name, "context": context}],
            "current-context": name}


def write_kubeconfig(path, url, namespace=None):
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(kubeconfig_doc(url, namespace), handle, sort_keys=False)
    return str(path)
