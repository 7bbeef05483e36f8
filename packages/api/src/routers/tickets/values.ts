/** The values of a ticket's enums (schemas only: the timeline's entry payloads read them too). */
export const TICKET_PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export const TICKET_STATUSES = ["new", "open", "pending", "on_hold", "resolved", "closed"] as const;
export const TICKET_CHANNELS = ["email", "phone", "web", "chat"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
