"""Errors answered as `kind: Status` objects shaped like kube-apiserver's."""


class ApiError(Exception):
    """An API failure; `status()` is the body a real apiserver sends for it."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.reason is None:  # a webhook's denial carries no reason (metav1.Status omits it)
            del body["reason"]
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(resource):
    """`deployments.apps` / `configmaps`: how the apiserver names a group-resource in messages."""
    return f"{resource.plural}.{resource.group}" if resource.group else resource.plural


def _details(resource, name):
    details = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return details


def not_found(resource, name):
    return ApiError(404, "NotFound", f'{qualified(resource)} "{name}" not found', _details(resource, name))


def namespace_not_found(namespace):
    return ApiError(404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})


def namespace_terminating(resource, name, namespace):
    return ApiError(403, "Forbidden",
                    f'{qualified(resource)} "{name}" is forbidden: unable to create new content in namespace '
                    f"{namespace} because it is being terminated",
                    dict(_details(resource, name), causes=[{
                        "reason": "NamespaceTerminating", "field": "metadata.namespace",
                        "message": f"namespace {namespace} is being terminated"}]))


def already_exists(resource, name):
    return ApiError(409, "AlreadyExists", f'{qualified(resource)} "{name}" already exists', _details(resource, name))


def conflict(resource, name):
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {qualified(resource)} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    _details(resource, name))


def invalid(resource, name, causes):
    """422 Invalid; `causes` are (field, reason, message) triples, message already prefixed like the apiserver's."""
    kind_group = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
    parts = [f"{cause[0]}: {cause[2]}" if cause[0] else cause[2] for cause in causes]
    summary = "[" + ", ".join(parts) + "]" if len(parts) > 1 else "; ".join(parts)
    details = {"name": name, "kind": resource.kind,
               "causes": [{"reason": reason, "message": message, "field": field} for field, reason, message in causes]}
    if resource.group:
        details["group"] = resource.group
    return ApiError(422, "Invalid", f'{kind_group} "{name}" is invalid: {summary}', details)


def webhook_denied(message):
    """A validating admission webhook's denial: the API server answers 400 with the webhook's text and no reason."""
    return ApiError(400, None, message)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_media_type(content_type, accepted):
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: {', '.join(accepted)}")


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def gone(message):
    return ApiError(410, "Expired", message)


def injected(code):
    """The Status a fault injected with `code` answers with (what an overloaded or racing apiserver sends)."""
    if code == 409:
        return ApiError(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; "
                                         "please apply your changes to the latest version and try again (injected)")
    if code == 503:
        return ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request (injected)")
    if code == 429:
        return ApiError(429, "TooManyRequests", "the server has received too many requests (injected)")
    return ApiError(code, "InternalError", "Internal error occurred: fault injected by the sandbox")
