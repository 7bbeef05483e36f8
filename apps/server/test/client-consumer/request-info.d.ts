// tRPC's client declarations name the DOM's `RequestInfo`, which @types/node does not declare: a
// project without the DOM lib that checks its libraries' declarations (skipLibCheck off) adds it.
type RequestInfo = Request | string;
