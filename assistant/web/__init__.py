"""The web side: public JSON API, Gradio chat, embeddable widget, staff area and their protections.

`app.create_app()` wires these modules into one FastAPI app.
"""
