"""Use the data-science stack for real: compute with numpy/pandas, plot with matplotlib."""

import json
import sys
import tempfile
from importlib.metadata import version

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

frame = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})
figure, axis = plt.subplots()
axis.plot(frame["x"], frame["y"])
with tempfile.NamedTemporaryFile(suffix=".png") as png:
    figure.savefig(png.name)
    png_size = len(open(png.name, "rb").read())
result = {"sum": int(frame["y"].sum()), "png": png_size > 1000}
for name in ("numpy", "pandas", "matplotlib"):
    result[name] = version(name)
try:
    import tqdm

    result["tqdm"] = tqdm.__version__
except ImportError:
    result["tqdm"] = None
json.dump(result, sys.stdout)
