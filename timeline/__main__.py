"""``python -m timeline``: the ``timeline`` command, for when the script is not on PATH.

Example:
    $ python -m timeline --db sqlite:///timeline-demo.db events --actor US
"""

from timeline.cli import main

if __name__ == "__main__":
    main()
