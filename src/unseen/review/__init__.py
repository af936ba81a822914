"""``unseen review``: a local page to see, fix and approve every mask before a file is shared.

server.py (the web app and its guards), session.py (each file's plan, revision and jobs),
frames.py (video frames decoded on demand), follow.py (a box on one frame becomes a track),
static/ (the page: plain HTML, CSS and JavaScript, nothing loaded from outside)."""
