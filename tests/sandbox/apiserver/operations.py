"""Maps an HTTP method on a resource Target to the Api operation, with the query options the apiserver accepts."""
import json

import yaml

from . import admission, errors, protobuf
from .api import Result


def _decode(body, content_type=None):
    if not body:
        return None
    if (content_type or "").startswith("application/vnd.kubernetes.protobuf") or body.startswith(protobuf.MAGIC):
        decoded = protobuf.decode(body)
        if decoded is None:
            raise errors.unsupported_media_type(content_type, ["application/json", "application/yaml"])
        return decoded
    try:
        return json.loads(body)
    except ValueError:
        try:  # kubectl and clients only send JSON, but YAML is what a person would POST by hand
            return yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc


def _dry_run(query):
    value = query.get("dryRun")
    if value not in (None, "", "All"):
        raise errors.bad_request(f"Invalid dry run value: {value}")
    return value == "All"


class Operations:
    def __init__(self, api):
        self.api = api

    def perform(self, method, target, query, body, content_type):
        handler = getattr(self, "_" + method.lower(), None)
        if handler is None:
            raise errors.method_not_allowed()
        return handler(target, query, body, content_type)

    def _allowed(self, target, verb):
        verbs = target.resource.verbs
        if verb not in verbs:
            raise errors.method_not_allowed()

    def _head(self, target, query, body, content_type):
        return self._get(target, query, body, content_type)

    def _get(self, target, query, body, content_type):
        api, resource = self.api, target.resource
        if target.name is None:
            self._allowed(target, "list")
            return Result(200, api.list(resource, target.namespace, query.get("labelSelector"), query.get("fieldSelector")))
        self._allowed(target, "get")
        if target.subresource == "scale":
            return Result(200, api.get_scale(resource, target.namespace, target.name))
        return Result(200, api.get(resource, target.namespace, target.name))

    def _post(self, target, query, body, content_type):
        if target.name is not None:
            raise errors.method_not_allowed()
        self._allowed(target, "create")
        obj = _decode(body, content_type)
        return self.api.create(target.resource, target.namespace or "", obj, _dry_run(query),
                               admission.unknown_field_policy(query.get("fieldValidation")))

    def _put(self, target, query, body, content_type):
        if target.name is None:
            raise errors.method_not_allowed()
        self._allowed(target, "update")
        obj = _decode(body, content_type)
        if target.subresource == "scale":
            return self.api.update_scale(target.resource, target.namespace, target.name, obj or {}, _dry_run(query))
        return self.api.update(target.resource, target.namespace, target.name, obj, _dry_run(query),
                               admission.unknown_field_policy(query.get("fieldValidation")), target.subresource)

    def _patch(self, target, query, body, content_type):
        if target.name is None:
            raise errors.method_not_allowed()
        self._allowed(target, "patch")
        if target.subresource == "scale":
            return self.api.patch_scale(target.resource, target.namespace, target.name, content_type, body,
                                        _dry_run(query))
        return self.api.patch(target.resource, target.namespace, target.name, content_type, body, _dry_run(query),
                              admission.unknown_field_policy(query.get("fieldValidation")), target.subresource)

    def _delete(self, target, query, body, content_type):
        options = _decode(body) or {}
        for key in ("propagationPolicy", "gracePeriodSeconds"):
            if key in query:
                options[key] = query[key]
        if target.subresource is not None:
            raise errors.method_not_allowed()
        if target.name is None:
            self._allowed(target, "deletecollection")
            return self.api.delete_collection(target.resource, target.namespace, query.get("labelSelector"),
                                              query.get("fieldSelector"), options, _dry_run(query))
        self._allowed(target, "delete")
        return self.api.delete(target.resource, target.namespace, target.name, options,
                               _dry_run(query) or options.get("dryRun") == ["All"])
