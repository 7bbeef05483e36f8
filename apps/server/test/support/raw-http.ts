import net from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection written and read by hand, so a test sees exactly what a keep-alive
 * client sees: each response byte for byte, and how the server closed the connection (a clean
 * end, or a reset).
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private ended: string | undefined;
  private wake: (() => void) | undefined;
  /** How the connection ended: "end" (the server closed it cleanly) or the socket error's code. */
  readonly closed: Promise<string>;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => {
      const end = (how: string) => {
        this.ended ??= how;
        resolve(this.ended);
        this.wake?.();
      };
      socket.on("error", (error: NodeJS.ErrnoException) => end(error.code ?? error.message));
      socket.on("end", () => end("end"));
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  /** A complete request head for `path` (a body, when given, is sent separately with `write`). */
  static head(method: string, path: string, headers: Record<string, string> = {}): string {
    const lines = [
      `${method} ${path} HTTP/1.1`,
      "host: 127.0.0.1",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    return `${lines.join("\r\n")}\r\n\r\n`;
  }

  write(data: string): void {
    this.socket.write(data);
  }

  /** The next complete response (its body sized by Content-Length); fails if the connection ends first. */
  response(): Promise<RawResponse> {
    return this.until(() => this.takeResponse());
  }

  /** Waits for the head of the next response, leaving it unread. */
  async responseHead(): Promise<void> {
    await this.until(() => this.buffer.includes("\r\n\r\n") || undefined);
  }

  /** Stops reading, so the server's writes back up (a slow client); `resume` reads on. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async until<T>(found: () => T | undefined): Promise<T> {
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      if (this.ended !== undefined) {
        throw new Error(
          `connection closed (${this.ended}) before a complete response; received ${JSON.stringify(this.buffer.toString())}`,
        );
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private takeResponse(): RawResponse | undefined {
    const headEnd = this.buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) return undefined;
    const [statusLine = "", ...headerLines] = this.buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    const bodyStart = headEnd + 4;
    if (this.buffer.length < bodyStart + length) return undefined;
    const response = {
      status: Number(statusLine.split(" ")[1]),
      headers,
      body: this.buffer.subarray(bodyStart, bodyStart + length).toString("utf8"),
    };
    this.buffer = this.buffer.subarray(bodyStart + length);
    return response;
  }
}

/** Whether a new connection to `port` is refused (nothing listens there any more). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/**
 * Sends `POST /api/v1/auth/login` (unknown credentials: 401) with only part of its body, so the
 * request stays open on the server until `finish` sends the rest.
 */
export function sendUnfinishedLogin(connection: RawConnection): { finish(): void } {
  const body = JSON.stringify({ email: "nobody@example.com", password: "not the password" });
  const head = RawConnection.head("POST", LOGIN_PATH, {
    "content-type": "application/json",
    "content-length": String(body.length),
  });
  connection.write(head + body.slice(0, 10));
  return { finish: () => connection.write(body.slice(10)) };
}

export const LOGIN_PATH = "/api/v1/auth/login";

/** Connections that have served one request and are kept open: idle keep-alive connections. */
export function openKeepAliveConnections(port: number, count: number): Promise<RawConnection[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const connection = await RawConnection.open(port);
      connection.write(RawConnection.head("GET", "/healthz"));
      const { headers } = await connection.response();
      if (headers.connection !== "keep-alive")
        throw new Error(`expected a keep-alive response, got Connection: ${headers.connection}`);
      return connection;
    }),
  );
}
