/**
 * Workspace files the e2e tests open. Python rather than TypeScript: code-server's built-in TypeScript extension
 * lacks its tsserver in our install (scripts/setup-e2e.sh installs no extension dependencies) and says so in a
 * notification, which would only clutter the screenshots.
 */

/** billing/invoice.py; `invoice_total` is lines 11-19. */
export const INVOICE_PY = `from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_cents: int


def invoice_total(lines: list[Line], vat_rate: float) -> int:
    """The total of an invoice in cents, with a volume discount and VAT."""
    net = 0
    for line in lines:
        if line.quantity <= 0:
            continue
        discount = 0.1 if line.quantity >= 100 else 0.05 if line.quantity >= 10 else 0
        net += round(line.quantity * line.unit_cents * (1 - discount))
    return round(net * (1 + vat_rate))
`;

export const INVOICE_PATH = 'billing/invoice.py';
/** The lines of `invoice_total` in {@link INVOICE_PY} (1-based, inclusive). */
export const INVOICE_TOTAL_LINES = [11, 19] as const;
