"""``python -m hf_router.cli``: the same as the ``hf-router`` console script."""

from hf_router.cli import console_script

if __name__ == "__main__":
    console_script()
