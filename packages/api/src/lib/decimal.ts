import { Prisma } from "@crm/db";
import { z } from "zod";

/**
 * An exact decimal (money): a decimal string or a number, stored as a Prisma Decimal, shown as a
 * string with `scale` decimals. A number is read through its shortest form, so 0.1 is 0.1 and
 * 0.1 + 0.2 (0.30000000000000004) is refused rather than rounded.
 */
export function decimalInput({ digits, scale, min, max }: { digits: number; scale: number; min?: number; max?: number }) {
  const pattern = new RegExp(`^-?\\d{1,${digits - scale}}(\\.\\d{1,${scale}})?$`);
  const message = `must be a decimal number with at most ${digits - scale} digits before the point and ${scale} after`;
  return z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .max(digits + 2),
    ])
    .meta({ examples: [max !== undefined ? max.toFixed(scale) : Math.min(12500, 10 ** (digits - scale) - 1).toFixed(scale)] })
    .transform((value, ctx) => {
      const written = typeof value === "number" ? String(value) : value;
      if (!pattern.test(written)) {
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      const decimal = new Prisma.Decimal(written);
      if (min !== undefined && decimal.lessThan(min)) {
        ctx.addIssue({ code: "custom", message: `must be at least ${min}` });
        return z.NEVER;
      }
      if (max !== undefined && decimal.greaterThan(max)) {
        ctx.addIssue({ code: "custom", message: `must be at most ${max}` });
        return z.NEVER;
      }
      return decimal;
    });
}

export function decimalOutput(scale: number) {
  return z.preprocess(
    (value) => (Prisma.Decimal.isDecimal(value) ? (value as Prisma.Decimal).toFixed(scale) : value),
    z.string().meta({ description: `An exact decimal, as a string with ${scale} decimals.` }),
  );
}
