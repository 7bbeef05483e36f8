import { TRPCClientError } from "@crm-api/client";

/** What a typed-client caller sees of a failed call. */
export interface CallFailure {
  code: string | undefined;
  httpStatus: number | undefined;
  message: string;
}

/** Awaits a typed-client call that must fail and returns its error code, HTTP status and message. */
export async function failure(call: Promise<unknown>): Promise<CallFailure> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { code?: string; httpStatus?: number } | undefined;
    return { code: data?.code, httpStatus: data?.httpStatus, message: error.message };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
