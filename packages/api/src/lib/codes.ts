import { z } from "zod";

/** ISO 4217 currency codes, as the runtime's ICU knows them (Node 20: 160-odd). */
export const CURRENCY_CODES = Intl.supportedValuesOf("currency") as [string, ...string[]];

export const currencySchema = z.enum(CURRENCY_CODES, {
  error: "must be an ISO 4217 currency code in capitals (e.g. USD, EUR)",
});
