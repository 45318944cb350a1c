"""The project's commands besides `run`: sample images and a contact sheet."""
