package dev.cnnc.cli.viz;

import dev.cnnc.runtime.train.Metrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * curves.png: training and validation (or test) loss above, accuracy below, per epoch, with the
 * epoch early stopping keeps marked. Drawn by JFreeChart; a series with no values (no
 * validation, or a regression's accuracy) is left out.
 */
public final class Curves {
    static final Color TRAIN = new Color(0x1f, 0x77, 0xb4);
    static final Color WATCHED = new Color(0xd6, 0x27, 0x28);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

    private Curves() {
    }

    /** {@code watchedName}: "validation" or "test", what the second series is. */
    public static BufferedImage draw(String model, List<Metrics.Epoch> epochs, String watchedName, int bestEpoch) {
        XYSeries trainLoss = new XYSeries("training loss"), valLoss = new XYSeries(watchedName + " loss");
        XYSeries trainAcc = new XYSeries("training accuracy"), valAcc = new XYSeries(watchedName + " accuracy");
        for (Metrics.Epoch e : epochs) {
            add(trainLoss, e.epoch(), e.trainLoss());
            add(valLoss, e.epoch(), e.valLoss());
            add(trainAcc, e.epoch(), e.trainAccuracy());
            add(valAcc, e.epoch(), e.valAccuracy());
        }
        NumberAxis epochAxis = new NumberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochAxis.setLabelFont(LABEL);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.setGap(12);
        plot.add(subplot("loss", trainLoss, valLoss, bestEpoch), 1);
        if (trainAcc.getItemCount() > 0 || valAcc.getItemCount() > 0) {
            plot.add(subplot("accuracy", trainAcc, valAcc, bestEpoch), 1);
        }
        JFreeChart chart = new JFreeChart(model + ": loss and accuracy per epoch", new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setItemFont(LABEL);
        return chart.createBufferedImage(900, 640);
    }

    private static void add(XYSeries s, int epoch, double v) {
        if (Double.isFinite(v)) {
            s.add(epoch, v);
        }
    }

    private static XYPlot subplot(String label, XYSeries train, XYSeries watched, int bestEpoch) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        int k = 0;
        for (XYSeries s : List.of(train, watched)) {
            if (s.getItemCount() > 0) {
                data.addSeries(s);
                renderer.setSeriesPaint(k, s == train ? TRAIN : WATCHED);
                renderer.setSeriesStroke(k, new BasicStroke(2.5f));
                k++;
            }
        }
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        axis.setLabelFont(LABEL);
        XYPlot plot = new XYPlot(data, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        if (bestEpoch > 0) {
            ValueMarker best = new ValueMarker(bestEpoch, new Color(0x2c, 0xa0, 0x2c), new BasicStroke(2f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
            best.setLabel("best epoch " + bestEpoch);
            best.setLabelFont(LABEL);
            best.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            best.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
            plot.addDomainMarker(best);
        }
        return plot;
    }
}
