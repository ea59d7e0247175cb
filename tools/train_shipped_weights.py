"""Train the DeepConvNet of chapter 4 and write the weights shipped with the course.

    python tools/train_shipped_weights.py                 # about 10 minutes on 2 cores
    python tools/train_shipped_weights.py --out /tmp/run  # the same run, written elsewhere

The recipe is the chapter's: all 60,000 MNIST training images, 20 epochs of
mini-batches of 100, Adam with learning rate 0.001 and 0.0001 for the last five
epochs, seed 7; the training accuracy is measured on 10,000 training images
after each epoch and the test accuracy on all 10,000 test images once, at the
end.  The recipe fixes everything in advance, so nothing is chosen during the
run and it needs no validation images.  It writes ``deep_convnet_mnist.npz`` and
``deep_convnet_mnist_history.npz``
(losses, accuracies, epoch times, wall time, the number of cores), each to a
temporary file first and then renamed into place, so an interrupted run leaves
the previous files as they were.  The chapters only read these files; this
tool is the one thing that writes them.
"""
import argparse
import sys
import time
from pathlib import Path

from course_lib import DeepConvNet, Trainer, load_mnist, pretrained

NAME = "deep_convnet_mnist"
SEED = 7


def train(x_train, t_train, x_test, t_test, epochs=20, lr_drop_epochs=5, eval_n=10000, seed=SEED,
          verbose=True):
    """Train a DeepConvNet with the chapter's recipe; returns ``(network, history)``."""
    network = DeepConvNet(seed=seed)
    lr_drop = max(epochs - lr_drop_epochs, 0)   # from this epoch on the learning rate is 0.0001
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=epochs, mini_batch_size=100,
                      optimizer="Adam", optimizer_param={"lr": 0.001},
                      lr_schedule=lambda epoch: 0.001 if epoch < lr_drop else 0.0001,
                      evaluate_sample_num_per_epoch=eval_n, verbose=verbose, seed=seed)
    start = time.perf_counter()
    trainer.train()
    wall_time = time.perf_counter() - start
    history = pretrained.history_from_trainer(trainer, wall_time, epochs=epochs, seed=seed)
    return network.eval(), history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write the two files into (default: the shipped "
                             "course_lib/weights)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs (default 20)")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N "
                                                                     "training images")
    parser.add_argument("--data-dir", type=Path, default=None, help="a folder holding the MNIST "
                                                                    "files")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False, data_dir=args.data_dir)
    if args.train_size is not None:
        if not 1 <= args.train_size <= len(x_train):
            parser.error(f"--train-size must be between 1 and {len(x_train):,}")
        x_train, t_train = x_train[:args.train_size], t_train[:args.train_size]
    shipped = args.out is None
    folder = pretrained.weights_dir() if shipped else args.out
    print(f"training DeepConvNet on {len(x_train):,} images for {args.epochs} epochs "
          f"({pretrained.machine()['cores']} cores); the files go to {folder}", flush=True)
    network, history = train(x_train, t_train, x_test, t_test, epochs=args.epochs)
    paths = pretrained.save_run(network, history, NAME, folder=folder, overwrite_shipped=shipped)
    print(f"test accuracy on all {len(x_test):,} test images: "
          f"{float(history['final_test_acc']):.2%}; {float(history['wall_time']) / 60:.1f} min")
    for path in paths:
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
