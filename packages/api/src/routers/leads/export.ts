import { exportableOf } from "../../kit/files.ts";
import { leads } from "./schemas.ts";

/** Leads as the shared export stream writes them: the exported fields, and whether each is hot (at the organization's threshold). */
export const leadExport = exportableOf(leads, [
  {
    after: "score",
    header: "Hot",
    kind: "boolean",
    width: 8,
    needs: ["score"],
    value: (lead, threshold) => (lead.score as number) >= (threshold as number),
  },
  {
    // Read back by the import: a score set by hand stays set by hand.
    after: "score",
    header: "Manual Score",
    kind: "integer",
    width: 8,
    needs: ["score", "scoreIsManual"],
    value: (lead) => (lead.scoreIsManual ? lead.score : null),
  },
]);
