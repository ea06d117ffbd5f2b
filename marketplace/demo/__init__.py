"""The deterministic demo catalog: vocabulary (``data``), generator (``seed``), generated
photos (``photos``), the ``seed-demo`` command (``cli``) and the factories shared with tests."""
