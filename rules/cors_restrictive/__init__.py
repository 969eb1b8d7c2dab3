"""Rules of the checklist item `cors-restrictive`: no CORS policy that lets any website make credentialed requests."""
