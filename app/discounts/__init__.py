"""Discount codes: what staff create, what a cart may apply, and each paid order's use of a code."""
