"""Who the tenant is and what its terms are."""
