// Seed: replaced by the security service's wiring.
print("backoffice-security: not wired yet")
