"""Agreement pages (HTML, thin): they call agreements.services and agreements.selectors."""
