"""Homework (作业): assignments members hand in and the owner or a guest grades."""
