"""Status phrases and error descriptions of Werkzeug 3.1, as data.

The simulated responses must match the real ones byte for byte, and these strings are part
of those bytes: ``werkzeug.http.HTTP_STATUS_CODES`` (the reason phrases Werkzeug upper-cases
into status lines) and the ``description`` of each ``werkzeug.exceptions`` class (the error
pages). ``tests/sim/test_http_status.py`` checks them against the installed Werkzeug.
"""

#: ``werkzeug.http.HTTP_STATUS_CODES``
HTTP_STATUS_CODES: dict[int, str] = {
    100: 'Continue',
    101: 'Switching Protocols',
    102: 'Processing',
    103: 'Early Hints',
    200: 'OK',
    201: 'Created',
    202: 'Accepted',
    203: 'Non Authoritative Information',
    204: 'No Content',
    205: 'Reset Content',
    206: 'Partial Content',
    207: 'Multi Status',
    208: 'Already Reported',
    226: 'IM Used',
    300: 'Multiple Choices',
    301: 'Moved Permanently',
    302: 'Found',
    303: 'See Other',
    304: 'Not Modified',
    305: 'Use Proxy',
    306: 'Switch Proxy',
    307: 'Temporary Redirect',
    308: 'Permanent Redirect',
    400: 'Bad Request',
    401: 'Unauthorized',
    402: 'Payment Required',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    406: 'Not Acceptable',
    407: 'Proxy Authentication Required',
    408: 'Request Timeout',
    409: 'Conflict',
    410: 'Gone',
    411: 'Length Required',
    412: 'Precondition Failed',
    413: 'Request Entity Too Large',
    414: 'Request URI Too Long',
    415: 'Unsupported Media Type',
    416: 'Requested Range Not Satisfiable',
    417: 'Expectation Failed',
    418: "I'm a teapot",
    421: 'Misdirected Request',
    422: 'Unprocessable Entity',
    423: 'Locked',
    424: 'Failed Dependency',
    425: 'Too Early',
    426: 'Upgrade Required',
    428: 'Precondition Required',
    429: 'Too Many Requests',
    431: 'Request Header Fields Too Large',
    449: 'Retry With',
    451: 'Unavailable For Legal Reasons',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
    505: 'HTTP Version Not Supported',
    506: 'Variant Also Negotiates',
    507: 'Insufficient Storage',
    508: 'Loop Detected',
    510: 'Not Extended',
    511: 'Network Authentication Failed',
}

#: code -> (exception class name, description) of ``werkzeug.exceptions.default_exceptions``
WERKZEUG_ERRORS: dict[int, tuple[str, str]] = {
    400: (
        'BadRequest',
        'The browser (or proxy) sent a request that this server could not understand.',
    ),
    401: (
        'Unauthorized',
        'The server could not verify that you are authorized to access the URL requested.'
        ' You either supplied the wrong credentials (e.g. a bad password), or your '
        "browser doesn't understand how to supply the credentials required.",
    ),
    403: (
        'Forbidden',
        "You don't have the permission to access the requested resource. It is either "
        'read-protected or not readable by the server.',
    ),
    404: (
        'NotFound',
        'The requested URL was not found on the server. If you entered the URL manually '
        'please check your spelling and try again.',
    ),
    405: (
        'MethodNotAllowed',
        'The method is not allowed for the requested URL.',
    ),
    406: (
        'NotAcceptable',
        'The resource identified by the request is only capable of generating response '
        'entities which have content characteristics not acceptable according to the '
        'accept headers sent in the request.',
    ),
    408: (
        'RequestTimeout',
        "The server closed the network connection because the browser didn't finish the "
        'request within the specified time.',
    ),
    409: (
        'Conflict',
        'A conflict happened while processing the request. The resource might have been '
        'modified while the request was being processed.',
    ),
    410: (
        'Gone',
        'The requested URL is no longer available on this server and there is no '
        'forwarding address. If you followed a link from a foreign page, please contact '
        'the author of this page.',
    ),
    411: (
        'LengthRequired',
        'A request with this method requires a valid <code>Content-Length</code> header.',
    ),
    412: (
        'PreconditionFailed',
        'The precondition on the request for the URL failed positive evaluation.',
    ),
    413: (
        'RequestEntityTooLarge',
        'The data value transmitted exceeds the capacity limit.',
    ),
    414: (
        'RequestURITooLarge',
        'The length of the requested URL exceeds the capacity limit for this server. The '
        'request cannot be processed.',
    ),
    415: (
        'UnsupportedMediaType',
        'The server does not support the media type transmitted in the request.',
    ),
    416: (
        'RequestedRangeNotSatisfiable',
        'The server cannot provide the requested range.',
    ),
    417: (
        'ExpectationFailed',
        'The server could not meet the requirements of the Expect header',
    ),
    418: (
        'ImATeapot',
        'This server is a teapot, not a coffee machine',
    ),
    421: (
        'MisdirectedRequest',
        'The server is not able to produce a response.',
    ),
    422: (
        'UnprocessableEntity',
        'The request was well-formed but was unable to be followed due to semantic '
        'errors.',
    ),
    423: (
        'Locked',
        'The resource that is being accessed is locked.',
    ),
    424: (
        'FailedDependency',
        'The method could not be performed on the resource because the requested action '
        'depended on another action and that action failed.',
    ),
    428: (
        'PreconditionRequired',
        'This request is required to be conditional; try using "If-Match" or "If-'
        'Unmodified-Since".',
    ),
    429: (
        'TooManyRequests',
        'This user has exceeded an allotted request count. Try again later.',
    ),
    431: (
        'RequestHeaderFieldsTooLarge',
        'One or more header fields exceeds the maximum size.',
    ),
    451: (
        'UnavailableForLegalReasons',
        'Unavailable for legal reasons.',
    ),
    500: (
        'InternalServerError',
        'The server encountered an internal error and was unable to complete your '
        'request. Either the server is overloaded or there is an error in the '
        'application.',
    ),
    501: (
        'NotImplemented',
        'The server does not support the action requested by the browser.',
    ),
    502: (
        'BadGateway',
        'The proxy server received an invalid response from an upstream server.',
    ),
    503: (
        'ServiceUnavailable',
        'The server is temporarily unable to service your request due to maintenance '
        'downtime or capacity problems. Please try again later.',
    ),
    504: (
        'GatewayTimeout',
        'The connection to an upstream server timed out.',
    ),
    505: (
        'HTTPVersionNotSupported',
        'The server does not support the HTTP protocol version used in the request.',
    ),
}

WERKZEUG_ERROR_CODES = frozenset(WERKZEUG_ERRORS)

#: Codes 0.16's ``HTTP_STATUS_CODES`` does not know (later releases added them): their
#: status line says ``UNKNOWN``. 421 had no exception class either.
MISSING_IN_016 = frozenset({103, 208, 306, 421, 425, 506, 508, 511})
