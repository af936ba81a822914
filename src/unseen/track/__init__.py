"""Following faces through a video: linking detections into tracks along the camera's motion,
and the boxes each track masks on every frame (bridged, smoothed and held)."""
