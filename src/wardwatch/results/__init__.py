"""Results derived from the warehouse for reports: data-quality marks per indicator and organisation."""
